// ingest/misp: MISP core-format events (the JSON of MISP's REST API and PyMISP) -> STIX 2.1. This
// file owns the MISP attribute-type, object-template and galaxy mappings, the TLP-tag and
// distribution handling, and the STIX patterns built from MISP values. It depends on common/,
// stix/ (JsonWriter, deterministic SCO ids, TLP ids) and pattern/ (every STIX pattern it emits
// is parsed before it is written), and reads JSON with simdjson.
//
//   MispOptions options;
//   options.provenance.now = Timestamp::Now();   // only used when MISP gives no time at all
//   ConversionStats stats;
//   CTI_RETURN_IF_ERROR(ConvertMispEvent(text, options, sink, &stats));
//   // stats.Get("misp.attributes.indicator") indicators went to `sink`, among other objects.
//
// Decisions (the contract of ConvertMispEvent; the per-type table is at the top of misp.cc):
//  * Output of one call: the TLP 2.0 marking-definitions it uses (exact OASIS objects, once), then
//    per event an `identity` for the Orgc, the converted objects and a `report` (name = info,
//    report_types ["threat-report"], object_refs = everything made from the event) when the event
//    is `published`, else (false or not said, as misp-stix) a `grouping` (context
//    "suspicious-activity"), which claims no publication; then the SCOs (each id once per call).
//    Output order and bytes depend only on the input and the options.
//  * Ids are deterministic. A MISP uuid that is a valid UUIDv4 is reused for the object made from
//    it (report--<event uuid>, indicator--/observed-data--/note--/vulnerability--<attribute or
//    object uuid>, identity--<org uuid>), as misp-stix does. Otherwise, and for everything MISP
//    gives no uuid of its own (relationships, galaxy-cluster SDOs, fallbacks), the id is
//    UUIDv5(kMispStixNamespace, name) over a name built from the MISP uuids involved; ctihub's
//    validator warns (id-uuid-version, never an error) on such SDO/SRO ids. SCO ids follow STIX
//    2.1 §2.9 (UUIDv5 of the ID-contributing properties); an SCO with none of them present (an
//    email-message with only to_refs) gets UUIDv5(kMispStixNamespace, <attribute uuid, role>).
//  * Galaxy-cluster SDOs are scoped to the event (their id includes the event uuid): MISP cluster
//    uuids are not unique in older exports, and one event's TLP and distribution must not leak
//    into another event's copy of "APT28".
//  * The Orgc identity (identity--<org uuid>, identity_class "organization") has the fixed
//    created = modified 1970-01-01T00:00:00.000Z: MISP gives organisations no time, and every
//    event of the org must produce the identical object (a re-import is a duplicate, never a
//    conflicting version). It is in the report's object_refs when created_by_ref is overridden.
//  * Times: modified = the event's time (the newest of its `timestamp`, epoch seconds, and its
//    content's) for EVERY object made from the event. MISP bumps the event's timestamp on any
//    edit (a re-tag of the event too, whose TLP and distribution every attribute inherits) but
//    not the attributes' own: an event re-tagged RED, imported again, must replace its GREEN
//    versions, not clash with them. So any change to an event gives all its objects a new
//    version (an unchanged event imported again is all duplicates).
//    created = the event's `date` (00:00Z), capped at modified. valid_from / first_observed =
//    first_seen, else the attribute's (object's) own timestamp; valid_until / last_observed from
//    last_seen. provenance.now (default: the current time) is used only when the event carries
//    no time at all.
//  * to_ids true -> `indicator` (pattern_type "stix", indicator_types ["malicious-activity"],
//    kill chain "misp-category" / category lower-cased with '-'); to_ids false -> `observed-data`
//    with object_refs to separate SCOs (number_observed 1). A missing to_ids takes MISP's
//    per-type default (describeTypes sane_defaults). vulnerability -> `vulnerability` SDO with a
//    cve external reference; campaign-name -> campaign; threat-actor -> threat-actor; text,
//    comment, other, and values that have no valid SCO form when to_ids is false -> `note`
//    (object_refs: the report). snort/suricata/yara/sigma/stix2-pattern -> indicator with that
//    pattern_type. Types with no STIX form here (jarm-fingerprint, btc, authentihash, …) become
//    notes too, counted "misp.attributes.unmapped.<type>" and said once per type in the notes
//    (nothing is dropped unsaid); values that cannot make a valid pattern or SCO (bad hash
//    length, "1.2.3.999") become a note and are counted "misp.attributes.invalid.<type>".
//  * MISP objects (file, domain-ip, ip-port, network-connection, network-socket, url, email,
//    registry-key, x509, credential, user-account, asn, mutex): the to_ids attributes make ONE
//    indicator whose pattern ANDs their comparisons in one observation ([file:hashes.MD5 = '…'
//    AND file:name = 'a.exe']; a connection's addresses, src-port/dst-port on their own sides,
//    layer 4 and 7 protocols as network-traffic:protocols[*], layer 3, which sensors do not log,
//    only on the SCO). Values are written as for standalone attributes (refanged, host names and
//    e-mail domains lower-cased, addresses canonical, URLs as sensors log them); a value that is
//    not one of its type is left out of the pattern, kept as x_misp_<relation> on the observable
//    and noted, and the rest of the object still makes its one pattern. When the object also has
//    non-to_ids attributes (or has no to_ids one) an `observed-data` with the
//    whole SCO graph is made too, linked "based-on" from the indicator. Attributes the template
//    mapping does not place become x_misp_<relation> properties of the main SCO. Other
//    templates are converted attribute by attribute ("misp.objects.per_attribute.<name>").
//    ObjectReference -> `relationship` (type lower-cased, '_' and ' ' -> '-').
//  * Galaxies: attack-pattern types -> attack-pattern (external_references mitre-attack
//    Txxxx from "Name - T1234"), course-of-action types -> course-of-action, mitre intrusion-set
//    types -> intrusion-set, threat-actor (and 360net/microsoft-activity-group) -> threat-actor,
//    malware types (malpedia, mitre-malware, ransomware, banker, …) -> malware (is_family true),
//    tool types (tool, rat, botnet, exploit-kit, mitre-tool, …) -> tool, branded-vulnerability ->
//    vulnerability: the same lists as misp-stix. Event-level clusters go into the report's
//    object_refs only (MISP does not say which indicator indicates which malware); clusters on
//    an attribute also get a relationship from that attribute's object ("indicates" from an
//    indicator to attack-pattern/campaign/intrusion-set/malware/threat-actor/tool, else
//    "related-to"). A misp-galaxy:<type>="<value>" tag that no Galaxy entry describes (events
//    exported without galaxies) makes the same SDO from the tag alone. Other galaxies are skipped
//    ("misp.galaxies.skipped.<type>") and their tag kept as a label.
//  * Tags: tlp:clear|white|green|amber|amber+strict|red (any case) -> the OASIS TLP 2.0 marking in
//    object_marking_refs (white -> clear). Every object made from an event carries the most
//    restrictive of the event's TLP, its own attributes' TLP tags and any TLP id in
//    provenance.object_marking_refs (other ids there are appended as given). Other tags ->
//    labels (event tags on the report, attribute tags on that attribute's objects), plus
//    misp:type="…"/misp:category="…" (attributes) and misp:name="…"/misp:meta-category="…"
//    (objects) as misp-stix writes them; misp-galaxy:… tags of converted clusters are not labels.
//  * Distribution: every object made from the event content, SCOs included, carries
//    x_misp_distribution (0-4; the attribute's own, with 5 = inherit resolved through its object
//    to the event, and never wider than the event's: 0 < 4 < 1 < 2 < 3 in restrictiveness, a
//    sharing-group event caps a wider attribute to its sharing group), and
//    x_misp_sharing_group {uuid, name, id} when it is 4. Omitted when MISP gives no distribution.
//    Distribution 0 ("your organisation only") is TLP 2.0's AMBER+STRICT audience: such objects
//    get at least the AMBER+STRICT marking ("misp.distribution.org_only_as_amber_strict"), so the
//    release policy, which decides by markings, keeps them in the organisation. Levels 1-4 are
//    recorded, not enforced: the hub releases by TLP and agreements (shared/docs/POLICY.md §3).
//    The org identity and the marking-definitions carry neither (they are shared across events).
//    An SCO made by several attributes gets the join: the most restrictive TLP and distribution
//    (two different sharing groups -> 0).
//
// Counters written to ConversionStats: "misp.events", "misp.events.empty" (nothing to report),
// "misp.attributes.<indicator|observed-data|note|vulnerability|campaign|threat-actor>",
// "misp.attributes.deleted", "misp.attributes.unmapped.<type>", "misp.attributes.skipped.empty",
// "misp.attributes.invalid.<type>", "misp.objects.indicator", "misp.objects.observed-data",
// "misp.objects.deleted", "misp.objects.per_attribute.<name>", "misp.galaxies.<stix type>",
// "misp.galaxies.skipped.<type>", "misp.references.relationship", "misp.references.unresolved",
// "misp.sightings.skipped" (sightings are not converted),
// "misp.distribution.org_only_as_amber_strict", "misp.stix_objects" (all written).
#pragma once

#include <string_view>

#include "common/status.h"
#include "ingest/ingest.h"

namespace ctihub::ingest {

// The UUIDv5 namespace of every id ConvertMispEvent derives (see above). Fixed forever: changing it
// changes every derived id.
inline constexpr std::string_view kMispStixNamespace = "3d80cce5-146d-46ee-b9a1-cbe2ff674e29";

struct MispOptions {
  // created_by_ref (empty: the event Orgc's identity), now (used only when the event has no
  // time), extra object_marking_refs for every object.
  ProvenanceOptions provenance;
};

// Converts one MISP JSON document into STIX 2.1 objects written to `sink`, one compact JSON text
// each. Accepts {"Event": {...}}, a bare event object, {"response": [{"Event": ...}, ...]} (bare
// events allowed in the list), and MISP restSearch collections ({"response": {"Attribute": [...]}}
// and {"response": [{"Object": {...}}, ...]}), converted as one event without metadata — except
// that attributes naming their event in a nested "Event" {uuid, info, distribution} (restSearch
// attribute output) become that event, whose distribution caps theirs.
// Returns InvalidArgument when the text is not JSON or not MISP, or a member has the wrong JSON
// type; the message names the attribute/object uuid when there is one and location() is the JSON
// pointer ("/Event/Attribute/3/value"). Nothing is written to `sink` on such an error: objects
// are buffered and written only once the whole document has converted. A non-OK Status from
// `sink` stops the conversion and is returned. `stats` may be null. Thread-safe (no shared state).
Status ConvertMispEvent(std::string_view json, const MispOptions& options, const ObjectSink& sink,
                        ConversionStats* stats);

// True when `json` looks like a MISP document ConvertMispEvent accepts: a top-level "Event" key, a
// "response" holding events, objects or attributes, or a bare event (info/Attribute/Object keys
// and no STIX "type"). Only scans top-level keys (and the first element of "response"), never
// builds a tree, so it suits a cut-off prefix (import sniffs the first 64 KiB), which is judged on
// the keys it holds; false for anything else, including text that is not JSON. Thread-safe.
bool LooksLikeMispEvent(std::string_view json);

}  // namespace ctihub::ingest
