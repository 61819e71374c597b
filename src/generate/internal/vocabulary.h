// generate/internal/vocabulary: the word lists and catalogues synthetic intelligence is written
// from — organisations, ATT&CK techniques and mitigations, dual-use tools, locations, name parts,
// sentence fragments. Plain data; every open-vocabulary value here is taken from the STIX 2.1 §10
// vocabularies so generated objects validate without warnings.
//
//   const Technique& t = rng.Pick(Techniques());
//   text += t.name;   // "Spearphishing Attachment"
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace ctihub::generate::internal {

using Words = std::span<const std::string_view>;

// An organisation of the fixed identity set. Lists are comma-separated.
struct Organisation {
  std::string_view name;
  std::string_view identity_class;  // identity-class-ov
  std::string_view sectors;         // industry-sector-ov values
  std::string_view roles;
  std::string_view contact;
  std::string_view description;
  bool producer;  // publishes intelligence (a created_by_ref candidate); else a constituent
};
std::span<const Organisation> Organisations();

// A MITRE ATT&CK (Enterprise) technique; `phases` are mitre-attack kill-chain phase names.
struct Technique {
  std::string_view id;  // "T1566.001"
  std::string_view name;
  std::string_view phases;  // comma-separated
  std::string_view summary;
};
std::span<const Technique> Techniques();

// A MITRE ATT&CK mitigation, the basis of course-of-action objects.
struct Mitigation {
  std::string_view id;  // "M1049"
  std::string_view name;
  std::string_view summary;
};
std::span<const Mitigation> Mitigations();

// A dual-use or offensive tool commonly reported in intrusions.
struct ToolSpec {
  std::string_view name;
  std::string_view tool_types;  // tool-type-ov, comma-separated
  std::string_view phases;      // mitre-attack phases, comma-separated
  std::string_view version;
  std::string_view summary;
};
std::span<const ToolSpec> Tools();

struct LocationSpec {
  std::string_view name;
  std::string_view country;  // ISO 3166-1 alpha-2; empty for a region-only location
  std::string_view region;   // region-ov
  int32_t latitude_e4;       // degrees × 10^4; used only when country is set
  int32_t longitude_e4;
  std::string_view city;
};
std::span<const LocationSpec> Locations();

// Threat actor archetypes keep types, motivations and goals consistent within one actor.
struct ActorArchetype {
  std::string_view threat_actor_types;  // comma-separated
  std::string_view roles;               // comma-separated
  std::string_view primary_motivation;
  std::string_view secondary_motivations;  // comma-separated
  std::string_view resource_levels;        // comma-separated candidates
  std::string_view sophistications;        // comma-separated candidates
  Words goals;
  std::string_view label;        // "state-sponsored", "financially-motivated", …
  std::string_view description;  // "a state-sponsored espionage group"
};
std::span<const ActorArchetype> ActorArchetypes();

// A malware family archetype: matching types, capabilities and name suffixes.
struct MalwareArchetype {
  std::string_view malware_types;  // comma-separated
  std::string_view capabilities;   // comma-separated candidates
  std::string_view suffixes;       // comma-separated name suffixes; an empty item means none
  std::string_view phases;         // mitre-attack phases, comma-separated candidates
  std::string_view noun;           // "loader", "ransomware", …
};
std::span<const MalwareArchetype> MalwareArchetypes();

Words ActorAdjectives();
Words ActorAnimals();
Words OperationNouns();
Words Sectors();         // industry-sector-ov values used for targeting text
Words SectorNouns();     // readable sector names, parallel to nothing (free text)
Words Regions();         // readable region names for text
Words Behaviours();      // "harvests credentials from browser stores"
Words Deliveries();      // "spearphishing attachments with macro-enabled documents"
Words AnalystPhrases();  // openers such as "Telemetry from several constituents shows"
Words Assessments();     // closing sentences
Words Products();        // fictional vulnerable products
Words VulnClasses();     // "a heap-based buffer overflow"
Words VulnImpacts();     // "execute arbitrary code"
Words ImplementationLanguages();
Words Architectures();
Words InfrastructureKinds();  // infrastructure-type-ov values
Words Tlds();
Words DomainLures();  // "secure", "update", …
Words Subdomains();   // "mail", "cdn", …
Words UrlPaths();
Words FileNames();
Words FileExtensions();
Words MailLocalParts();
Words MailSubjects();
Words UserAgents();
Words RegistryKeys();
Words RegistryValueNames();
Words MutexPrefixes();
Words Surnames();
Words SandboxProducts();
Words ReportTitles();  // templates: {actor} {sector} {region} {malware}
Words NoteAbstracts();
Words OpinionExplanations();
Words IncidentKinds();  // "ransomware intrusion", …
Words Labels();         // free-form labels analysts attach
Words UpdateNotes();    // what a later version of an object changed
Words RegexPrefixes();  // command lines a process pattern matches (regular expressions)

}  // namespace ctihub::generate::internal
