#include "stix/type_specs.h"

#include <algorithm>
#include <array>
#include <memory>

#include <absl/container/flat_hash_map.h>

#include "common/name_table.h"

namespace ctihub::stix {
namespace {

using K = PropertyKind;
constexpr bool kReq = true;

// STIX 2.1 §3.2 common properties. created_by_ref must name an identity (§3.2).
constexpr PropertySpec kCommonSdo[] = {
    {"type", K::kString, kReq},
    {"spec_version", K::kString, kReq},
    {"id", K::kIdentifier, kReq},
    {"created_by_ref", K::kIdentifier, false, "identity"},
    {"created", K::kTimestamp, kReq},
    {"modified", K::kTimestamp, kReq},
    {"revoked", K::kBoolean},
    {"labels", K::kStringList},
    {"confidence", K::kInteger, false, {}, 0, 100},
    {"lang", K::kString},
    {"external_references", K::kExternalReferences},
    {"object_marking_refs", K::kIdentifierList, false, "marking-definition"},
    {"granular_markings", K::kObjectList},
    {"extensions", K::kObject},
};

// §6.1 common SCO properties.
constexpr PropertySpec kCommonSco[] = {
    {"type", K::kString, kReq},
    {"spec_version", K::kString},
    {"id", K::kIdentifier, kReq},
    {"object_marking_refs", K::kIdentifierList, false, "marking-definition"},
    {"granular_markings", K::kObjectList},
    {"defanged", K::kBoolean},
    {"extensions", K::kObject},
};

// ---- SDOs (§4) ----
constexpr PropertySpec kAttackPattern[] = {
    {"name", K::kString, kReq},
    {"description", K::kString},
    {"aliases", K::kStringList},
    {"kill_chain_phases", K::kKillChainPhases},
};
constexpr PropertySpec kCampaign[] = {
    {"name", K::kString, kReq},  {"description", K::kString}, {"aliases", K::kStringList},
    {"first_seen", K::kTimestamp}, {"last_seen", K::kTimestamp}, {"objective", K::kString},
};
constexpr PropertySpec kCourseOfAction[] = {
    {"name", K::kString, kReq},
    {"description", K::kString},
    // action_type/os_execution_envs/action_bin/action_reference are reserved in 2.1 (§4.3).
};
constexpr PropertySpec kGrouping[] = {
    {"name", K::kString},
    {"description", K::kString},
    {"context", K::kOpenVocab, kReq, "grouping-context-ov"},
    {"object_refs", K::kIdentifierList, kReq},
};
constexpr PropertySpec kIdentity[] = {
    {"name", K::kString, kReq},
    {"description", K::kString},
    {"roles", K::kStringList},
    {"identity_class", K::kOpenVocab, false, "identity-class-ov"},
    {"sectors", K::kOpenVocabList, false, "industry-sector-ov"},
    {"contact_information", K::kString},
};
constexpr PropertySpec kIncident[] = {
    {"name", K::kString, kReq},
    {"description", K::kString},
    {"kill_chain_phases", K::kKillChainPhases},
};
constexpr PropertySpec kIndicator[] = {
    {"name", K::kString},
    {"description", K::kString},
    {"indicator_types", K::kOpenVocabList, false, "indicator-type-ov"},
    {"pattern", K::kString, kReq},
    {"pattern_type", K::kOpenVocab, kReq, "pattern-type-ov"},
    {"pattern_version", K::kString},
    {"valid_from", K::kTimestamp, kReq},
    {"valid_until", K::kTimestamp},
    {"kill_chain_phases", K::kKillChainPhases},
};
constexpr PropertySpec kInfrastructure[] = {
    {"name", K::kString, kReq},
    {"description", K::kString},
    {"infrastructure_types", K::kOpenVocabList, false, "infrastructure-type-ov"},
    {"aliases", K::kStringList},
    {"kill_chain_phases", K::kKillChainPhases},
    {"first_seen", K::kTimestamp},
    {"last_seen", K::kTimestamp},
};
constexpr PropertySpec kIntrusionSet[] = {
    {"name", K::kString, kReq},
    {"description", K::kString},
    {"aliases", K::kStringList},
    {"first_seen", K::kTimestamp},
    {"last_seen", K::kTimestamp},
    {"goals", K::kStringList},
    {"resource_level", K::kOpenVocab, false, "attack-resource-level-ov"},
    {"primary_motivation", K::kOpenVocab, false, "attack-motivation-ov"},
    {"secondary_motivations", K::kOpenVocabList, false, "attack-motivation-ov"},
};
constexpr PropertySpec kLocation[] = {
    {"name", K::kString},
    {"description", K::kString},
    {"latitude", K::kNumber, false, {}, -90, 90},
    {"longitude", K::kNumber, false, {}, -180, 180},
    {"precision", K::kNumber, false, {}, 0},
    {"region", K::kOpenVocab, false, "region-ov"},
    {"country", K::kString},
    {"administrative_area", K::kString},
    {"city", K::kString},
    {"street_address", K::kString},
    {"postal_code", K::kString},
};
constexpr PropertySpec kMalware[] = {
    {"name", K::kString},
    {"description", K::kString},
    {"malware_types", K::kOpenVocabList, false, "malware-type-ov"},
    {"is_family", K::kBoolean, kReq},
    {"aliases", K::kStringList},
    {"kill_chain_phases", K::kKillChainPhases},
    {"first_seen", K::kTimestamp},
    {"last_seen", K::kTimestamp},
    {"operating_system_refs", K::kIdentifierList, false, "software"},
    {"architecture_execution_envs", K::kOpenVocabList, false, "processor-architecture-ov"},
    {"implementation_languages", K::kOpenVocabList, false, "implementation-language-ov"},
    {"capabilities", K::kOpenVocabList, false, "malware-capabilities-ov"},
    {"sample_refs", K::kIdentifierList, false, "file|artifact"},
};
constexpr PropertySpec kMalwareAnalysis[] = {
    {"product", K::kString, kReq},
    {"version", K::kString},
    {"host_vm_ref", K::kIdentifier, false, "software"},
    {"operating_system_ref", K::kIdentifier, false, "software"},
    {"installed_software_refs", K::kIdentifierList, false, "software"},
    {"configuration_version", K::kString},
    {"modules", K::kStringList},
    {"analysis_engine_version", K::kString},
    {"analysis_definition_version", K::kString},
    {"submitted", K::kTimestamp},
    {"analysis_started", K::kTimestamp},
    {"analysis_ended", K::kTimestamp},
    {"result_name", K::kString},
    {"result", K::kOpenVocab, false, "malware-av-result-ov"},
    {"analysis_sco_refs", K::kIdentifierList, false, "@sco"},
    {"sample_ref", K::kIdentifier, false, "file|network-traffic|artifact"},
};
constexpr PropertySpec kNote[] = {
    {"abstract", K::kString},
    {"content", K::kString, kReq},
    {"authors", K::kStringList},
    {"object_refs", K::kIdentifierList, kReq},
};
constexpr PropertySpec kObservedData[] = {
    {"first_observed", K::kTimestamp, kReq},
    {"last_observed", K::kTimestamp, kReq},
    {"number_observed", K::kInteger, kReq, {}, 1, 999999999},
    {"objects", K::kObject},  // deprecated in 2.1, still allowed (§4.13)
    {"object_refs", K::kIdentifierList, false, "@sco|relationship"},
};
constexpr PropertySpec kOpinion[] = {
    {"explanation", K::kString},
    {"authors", K::kStringList},
    {"opinion", K::kEnum, kReq, "opinion-enum"},
    {"object_refs", K::kIdentifierList, kReq},
};
constexpr PropertySpec kReport[] = {
    {"name", K::kString, kReq},
    {"description", K::kString},
    {"report_types", K::kOpenVocabList, false, "report-type-ov"},
    {"published", K::kTimestamp, kReq},
    {"object_refs", K::kIdentifierList, kReq},
};
constexpr PropertySpec kThreatActor[] = {
    {"name", K::kString, kReq},
    {"description", K::kString},
    {"threat_actor_types", K::kOpenVocabList, false, "threat-actor-type-ov"},
    {"aliases", K::kStringList},
    {"first_seen", K::kTimestamp},
    {"last_seen", K::kTimestamp},
    {"roles", K::kOpenVocabList, false, "threat-actor-role-ov"},
    {"goals", K::kStringList},
    {"sophistication", K::kOpenVocab, false, "threat-actor-sophistication-ov"},
    {"resource_level", K::kOpenVocab, false, "attack-resource-level-ov"},
    {"primary_motivation", K::kOpenVocab, false, "attack-motivation-ov"},
    {"secondary_motivations", K::kOpenVocabList, false, "attack-motivation-ov"},
    {"personal_motivations", K::kOpenVocabList, false, "attack-motivation-ov"},
};
constexpr PropertySpec kTool[] = {
    {"name", K::kString, kReq},
    {"description", K::kString},
    {"tool_types", K::kOpenVocabList, false, "tool-type-ov"},
    {"aliases", K::kStringList},
    {"kill_chain_phases", K::kKillChainPhases},
    {"tool_version", K::kString},
};
constexpr PropertySpec kVulnerability[] = {
    {"name", K::kString, kReq},
    {"description", K::kString},
};

// ---- SROs (§5) ----
constexpr PropertySpec kRelationship[] = {
    {"relationship_type", K::kString, kReq},
    {"description", K::kString},
    {"source_ref", K::kIdentifier, kReq, "@not-sro"},
    {"target_ref", K::kIdentifier, kReq, "@not-sro"},
    {"start_time", K::kTimestamp},
    {"stop_time", K::kTimestamp},
};
constexpr PropertySpec kSighting[] = {
    {"description", K::kString},
    {"first_seen", K::kTimestamp},
    {"last_seen", K::kTimestamp},
    {"count", K::kInteger, false, {}, 0, 999999999},
    {"sighting_of_ref", K::kIdentifier, kReq, "@sdo"},
    {"observed_data_refs", K::kIdentifierList, false, "observed-data"},
    {"where_sighted_refs", K::kIdentifierList, false, "identity|location"},
    {"summary", K::kBoolean},
};

// ---- Meta objects (§7) ----
constexpr PropertySpec kMarkingDefinition[] = {
    {"type", K::kString, kReq},
    {"spec_version", K::kString, kReq},
    {"id", K::kIdentifier, kReq},
    {"created_by_ref", K::kIdentifier, false, "identity"},
    {"created", K::kTimestamp, kReq},
    {"external_references", K::kExternalReferences},
    {"object_marking_refs", K::kIdentifierList, false, "marking-definition"},
    {"granular_markings", K::kObjectList},
    {"extensions", K::kObject},
    {"name", K::kString},
    {"definition_type", K::kString},
    {"definition", K::kObject},
};
// §7.1: the SDO common properties but lang.
constexpr PropertySpec kLanguageContent[] = {
    {"type", K::kString, kReq},
    {"spec_version", K::kString, kReq},
    {"id", K::kIdentifier, kReq},
    {"created_by_ref", K::kIdentifier, false, "identity"},
    {"created", K::kTimestamp, kReq},
    {"modified", K::kTimestamp, kReq},
    {"revoked", K::kBoolean},
    {"labels", K::kStringList},
    {"confidence", K::kInteger, false, {}, 0, 100},
    {"external_references", K::kExternalReferences},
    {"object_marking_refs", K::kIdentifierList, false, "marking-definition"},
    {"granular_markings", K::kObjectList},
    {"extensions", K::kObject},
    {"object_ref", K::kIdentifier, kReq, "@not-lc"},
    {"object_modified", K::kTimestamp},
    {"contents", K::kObject, kReq},
};
// §7.3: created_by_ref is required (an extension has an author); no confidence, lang or
// extensions.
constexpr PropertySpec kExtensionDefinition[] = {
    {"type", K::kString, kReq},
    {"spec_version", K::kString, kReq},
    {"id", K::kIdentifier, kReq},
    {"created_by_ref", K::kIdentifier, kReq, "identity"},
    {"created", K::kTimestamp, kReq},
    {"modified", K::kTimestamp, kReq},
    {"revoked", K::kBoolean},
    {"labels", K::kStringList},
    {"external_references", K::kExternalReferences},
    {"object_marking_refs", K::kIdentifierList, false, "marking-definition"},
    {"granular_markings", K::kObjectList},
    {"name", K::kString, kReq},
    {"description", K::kString},
    {"schema", K::kString, kReq},
    {"version", K::kString, kReq},
    {"extension_types", K::kEnumList, kReq, "extension-type-enum"},
    {"extension_properties", K::kStringList},
};

// ---- SCOs (§6) ----
constexpr PropertySpec kArtifact[] = {
    {"mime_type", K::kString},
    {"payload_bin", K::kBinary},
    {"url", K::kString},
    {"hashes", K::kHashes},
    {"encryption_algorithm", K::kEnum, false, "encryption-algorithm-enum"},
    {"decryption_key", K::kString},
};
constexpr PropertySpec kAutonomousSystem[] = {
    {"number", K::kInteger, kReq},
    {"name", K::kString},
    {"rir", K::kString},
};
constexpr PropertySpec kDirectory[] = {
    {"path", K::kString, kReq},
    {"path_enc", K::kString},
    {"ctime", K::kTimestamp},
    {"mtime", K::kTimestamp},
    {"atime", K::kTimestamp},
    {"contains_refs", K::kIdentifierList, false, "file|directory"},
};
constexpr PropertySpec kDomainName[] = {
    {"value", K::kString, kReq},
    {"resolves_to_refs", K::kIdentifierList, false, "ipv4-addr|ipv6-addr|domain-name"},
};
constexpr PropertySpec kEmailAddr[] = {
    {"value", K::kString, kReq},
    {"display_name", K::kString},
    {"belongs_to_ref", K::kIdentifier, false, "user-account"},
};
constexpr PropertySpec kEmailMessage[] = {
    {"is_multipart", K::kBoolean, kReq},
    {"date", K::kTimestamp},
    {"content_type", K::kString},
    {"from_ref", K::kIdentifier, false, "email-addr"},
    {"sender_ref", K::kIdentifier, false, "email-addr"},
    {"to_refs", K::kIdentifierList, false, "email-addr"},
    {"cc_refs", K::kIdentifierList, false, "email-addr"},
    {"bcc_refs", K::kIdentifierList, false, "email-addr"},
    {"message_id", K::kString},
    {"subject", K::kString},
    {"received_lines", K::kStringList},
    {"additional_header_fields", K::kDictionary},
    {"body", K::kString},
    {"body_multipart", K::kObjectList},
    {"raw_email_ref", K::kIdentifier, false, "artifact"},
};
constexpr PropertySpec kFile[] = {
    {"hashes", K::kHashes},
    {"size", K::kInteger, false, {}, 0},
    {"name", K::kString},
    {"name_enc", K::kString},
    {"magic_number_hex", K::kHex},
    {"mime_type", K::kString},
    {"ctime", K::kTimestamp},
    {"mtime", K::kTimestamp},
    {"atime", K::kTimestamp},
    {"parent_directory_ref", K::kIdentifier, false, "directory"},
    {"contains_refs", K::kIdentifierList, false, "@sco"},
    {"content_ref", K::kIdentifier, false, "artifact"},
};
constexpr PropertySpec kIpv4Addr[] = {
    {"value", K::kString, kReq},
    {"resolves_to_refs", K::kIdentifierList, false, "mac-addr"},
    {"belongs_to_refs", K::kIdentifierList, false, "autonomous-system"},
};
constexpr PropertySpec kIpv6Addr[] = {
    {"value", K::kString, kReq},
    {"resolves_to_refs", K::kIdentifierList, false, "mac-addr"},
    {"belongs_to_refs", K::kIdentifierList, false, "autonomous-system"},
};
constexpr PropertySpec kMacAddr[] = {{"value", K::kString, kReq}};
constexpr PropertySpec kMutex[] = {{"name", K::kString, kReq}};
constexpr PropertySpec kNetworkTraffic[] = {
    {"start", K::kTimestamp},
    {"end", K::kTimestamp},
    {"is_active", K::kBoolean},
    {"src_ref", K::kIdentifier, false, "ipv4-addr|ipv6-addr|mac-addr|domain-name"},
    {"dst_ref", K::kIdentifier, false, "ipv4-addr|ipv6-addr|mac-addr|domain-name"},
    {"src_port", K::kInteger, false, {}, 0, 65535},
    {"dst_port", K::kInteger, false, {}, 0, 65535},
    {"protocols", K::kStringList, kReq},
    {"src_byte_count", K::kInteger, false, {}, 0},
    {"dst_byte_count", K::kInteger, false, {}, 0},
    {"src_packets", K::kInteger, false, {}, 0},
    {"dst_packets", K::kInteger, false, {}, 0},
    {"ipfix", K::kDictionary},
    {"src_payload_ref", K::kIdentifier, false, "artifact"},
    {"dst_payload_ref", K::kIdentifier, false, "artifact"},
    {"encapsulates_refs", K::kIdentifierList, false, "network-traffic"},
    {"encapsulated_by_ref", K::kIdentifier, false, "network-traffic"},
};
constexpr PropertySpec kProcess[] = {
    {"is_hidden", K::kBoolean},
    {"pid", K::kInteger},
    {"created_time", K::kTimestamp},
    {"cwd", K::kString},
    {"command_line", K::kString},
    {"environment_variables", K::kDictionary},
    {"opened_connection_refs", K::kIdentifierList, false, "network-traffic"},
    {"creator_user_ref", K::kIdentifier, false, "user-account"},
    {"image_ref", K::kIdentifier, false, "file"},
    {"parent_ref", K::kIdentifier, false, "process"},
    {"child_refs", K::kIdentifierList, false, "process"},
};
constexpr PropertySpec kSoftware[] = {
    {"name", K::kString, kReq},
    {"cpe", K::kString},
    {"swid", K::kString},
    {"languages", K::kStringList},
    {"vendor", K::kString},
    {"version", K::kString},
};
constexpr PropertySpec kUrl[] = {{"value", K::kString, kReq}};
constexpr PropertySpec kUserAccount[] = {
    {"user_id", K::kString},
    {"credential", K::kString},
    {"account_login", K::kString},
    {"account_type", K::kOpenVocab, false, "account-type-ov"},
    {"display_name", K::kString},
    {"is_service_account", K::kBoolean},
    {"is_privileged", K::kBoolean},
    {"can_escalate_privs", K::kBoolean},
    {"is_disabled", K::kBoolean},
    {"account_created", K::kTimestamp},
    {"account_expires", K::kTimestamp},
    {"credential_last_changed", K::kTimestamp},
    {"account_first_login", K::kTimestamp},
    {"account_last_login", K::kTimestamp},
};
constexpr PropertySpec kWindowsRegistryKey[] = {
    {"key", K::kString},
    {"values", K::kObjectList},
    {"modified_time", K::kTimestamp},
    {"creator_user_ref", K::kIdentifier, false, "user-account"},
    {"number_of_subkeys", K::kInteger, false, {}, 0},
};
constexpr PropertySpec kX509Certificate[] = {
    {"is_self_signed", K::kBoolean},
    {"hashes", K::kHashes},
    {"version", K::kString},
    {"serial_number", K::kString},
    {"signature_algorithm", K::kString},
    {"issuer", K::kString},
    {"validity_not_before", K::kTimestamp},
    {"validity_not_after", K::kTimestamp},
    {"subject", K::kString},
    {"subject_public_key_algorithm", K::kString},
    {"subject_public_key_modulus", K::kString},
    {"subject_public_key_exponent", K::kInteger, false, {}, 0},
    {"x509_v3_extensions", K::kObject},
};

// ---- Predefined SCO extensions (§6) ----
constexpr PropertySpec kArchiveExt[] = {
    {"contains_refs", K::kIdentifierList, kReq, "file|directory"},
    {"comment", K::kString},
};
constexpr PropertySpec kNtfsExt[] = {
    {"sid", K::kString},
    {"alternate_data_streams", K::kObjectList},
};
constexpr PropertySpec kPdfExt[] = {
    {"version", K::kString},       {"is_optimized", K::kBoolean}, {"document_info_dict", K::kDictionary},
    {"pdfid0", K::kString},        {"pdfid1", K::kString},
};
constexpr PropertySpec kRasterImageExt[] = {
    {"image_height", K::kInteger},
    {"image_width", K::kInteger},
    {"bits_per_pixel", K::kInteger},
    {"exif_tags", K::kDictionary},
};
constexpr PropertySpec kWindowsPebinaryExt[] = {
    {"pe_type", K::kOpenVocab, kReq, "windows-pebinary-type-ov"},
    {"imphash", K::kString},
    {"machine_hex", K::kHex},
    {"number_of_sections", K::kInteger, false, {}, 0},
    {"time_date_stamp", K::kTimestamp},
    {"pointer_to_symbol_table_hex", K::kHex},
    {"number_of_symbols", K::kInteger, false, {}, 0},
    {"size_of_optional_header", K::kInteger, false, {}, 0},
    {"characteristics_hex", K::kHex},
    {"file_header_hashes", K::kHashes},
    {"optional_header", K::kObject},
    {"sections", K::kObjectList},
};
constexpr PropertySpec kHttpRequestExt[] = {
    {"request_method", K::kString, kReq},
    {"request_value", K::kString, kReq},
    {"request_version", K::kString},
    {"request_header", K::kDictionary},
    {"message_body_length", K::kInteger, false, {}, 0},
    {"message_body_data_ref", K::kIdentifier, false, "artifact"},
};
constexpr PropertySpec kIcmpExt[] = {
    {"icmp_type_hex", K::kHex, kReq},
    {"icmp_code_hex", K::kHex, kReq},
};
constexpr PropertySpec kSocketExt[] = {
    {"address_family", K::kEnum, kReq, "network-socket-address-family-enum"},
    {"is_blocking", K::kBoolean},
    {"is_listening", K::kBoolean},
    {"options", K::kDictionary},
    {"socket_type", K::kEnum, false, "network-socket-type-enum"},
    {"socket_descriptor", K::kInteger, false, {}, 0},
    {"socket_handle", K::kInteger},
};
constexpr PropertySpec kTcpExt[] = {
    {"src_flags_hex", K::kHex},
    {"dst_flags_hex", K::kHex},
};
constexpr PropertySpec kWindowsProcessExt[] = {
    {"aslr_enabled", K::kBoolean},
    {"dep_enabled", K::kBoolean},
    {"priority", K::kString},
    {"owner_sid", K::kString},
    {"window_title", K::kString},
    {"startup_info", K::kDictionary},
    {"integrity_level", K::kEnum, false, "windows-integrity-level-enum"},
};
constexpr PropertySpec kWindowsServiceExt[] = {
    {"service_name", K::kString},
    {"descriptions", K::kStringList},
    {"display_name", K::kString},
    {"group_name", K::kString},
    {"start_type", K::kEnum, false, "windows-service-start-type-enum"},
    {"service_dll_refs", K::kIdentifierList, false, "file"},
    {"service_type", K::kEnum, false, "windows-service-type-enum"},
    {"service_status", K::kEnum, false, "windows-service-status-enum"},
};
constexpr PropertySpec kUnixAccountExt[] = {
    {"gid", K::kInteger},
    {"groups", K::kStringList},
    {"home_dir", K::kString},
    {"shell", K::kString},
};

constexpr TypeSpec kTypes[] = {
    {"attack-pattern", ObjectCategory::kSdo, kAttackPattern},
    {"campaign", ObjectCategory::kSdo, kCampaign},
    {"course-of-action", ObjectCategory::kSdo, kCourseOfAction},
    {"grouping", ObjectCategory::kSdo, kGrouping},
    {"identity", ObjectCategory::kSdo, kIdentity},
    {"incident", ObjectCategory::kSdo, kIncident},
    {"indicator", ObjectCategory::kSdo, kIndicator},
    {"infrastructure", ObjectCategory::kSdo, kInfrastructure},
    {"intrusion-set", ObjectCategory::kSdo, kIntrusionSet},
    {"location", ObjectCategory::kSdo, kLocation},
    {"malware", ObjectCategory::kSdo, kMalware},
    {"malware-analysis", ObjectCategory::kSdo, kMalwareAnalysis},
    {"note", ObjectCategory::kSdo, kNote},
    {"observed-data", ObjectCategory::kSdo, kObservedData},
    {"opinion", ObjectCategory::kSdo, kOpinion},
    {"report", ObjectCategory::kSdo, kReport},
    {"threat-actor", ObjectCategory::kSdo, kThreatActor},
    {"tool", ObjectCategory::kSdo, kTool},
    {"vulnerability", ObjectCategory::kSdo, kVulnerability},
    {"relationship", ObjectCategory::kSro, kRelationship},
    {"sighting", ObjectCategory::kSro, kSighting},
    {"marking-definition", ObjectCategory::kMeta, kMarkingDefinition},
    {"language-content", ObjectCategory::kMeta, kLanguageContent},
    {"extension-definition", ObjectCategory::kMeta, kExtensionDefinition},
    {"artifact", ObjectCategory::kSco, kArtifact},
    {"autonomous-system", ObjectCategory::kSco, kAutonomousSystem},
    {"directory", ObjectCategory::kSco, kDirectory},
    {"domain-name", ObjectCategory::kSco, kDomainName},
    {"email-addr", ObjectCategory::kSco, kEmailAddr},
    {"email-message", ObjectCategory::kSco, kEmailMessage},
    {"file", ObjectCategory::kSco, kFile},
    {"ipv4-addr", ObjectCategory::kSco, kIpv4Addr},
    {"ipv6-addr", ObjectCategory::kSco, kIpv6Addr},
    {"mac-addr", ObjectCategory::kSco, kMacAddr},
    {"mutex", ObjectCategory::kSco, kMutex},
    {"network-traffic", ObjectCategory::kSco, kNetworkTraffic},
    {"process", ObjectCategory::kSco, kProcess, {}, true},
    {"software", ObjectCategory::kSco, kSoftware},
    {"url", ObjectCategory::kSco, kUrl},
    {"user-account", ObjectCategory::kSco, kUserAccount, {}, true},
    {"windows-registry-key", ObjectCategory::kSco, kWindowsRegistryKey, {}, true},
    {"x509-certificate", ObjectCategory::kSco, kX509Certificate, {}, true},
};

constexpr TypeSpec kExtensions[] = {
    {"archive-ext", ObjectCategory::kSco, kArchiveExt, "file"},
    {"ntfs-ext", ObjectCategory::kSco, kNtfsExt, "file", true},
    {"pdf-ext", ObjectCategory::kSco, kPdfExt, "file", true},
    {"raster-image-ext", ObjectCategory::kSco, kRasterImageExt, "file", true},
    {"windows-pebinary-ext", ObjectCategory::kSco, kWindowsPebinaryExt, "file"},
    {"http-request-ext", ObjectCategory::kSco, kHttpRequestExt, "network-traffic"},
    {"icmp-ext", ObjectCategory::kSco, kIcmpExt, "network-traffic"},
    {"socket-ext", ObjectCategory::kSco, kSocketExt, "network-traffic"},
    {"tcp-ext", ObjectCategory::kSco, kTcpExt, "network-traffic", true},
    {"windows-process-ext", ObjectCategory::kSco, kWindowsProcessExt, "process", true},
    {"windows-service-ext", ObjectCategory::kSco, kWindowsServiceExt, "process", true},
    {"unix-account-ext", ObjectCategory::kSco, kUnixAccountExt, "user-account", true},
};

}  // namespace

std::string_view CategoryName(ObjectCategory category) {
  switch (category) {
    case ObjectCategory::kSdo: return "SDO";
    case ObjectCategory::kSro: return "SRO";
    case ObjectCategory::kSco: return "SCO";
    case ObjectCategory::kMeta: return "meta object";
    case ObjectCategory::kBundle: return "bundle";
    case ObjectCategory::kCustom: return "custom object";
  }
  return "unknown";
}

const PropertySpec* TypeSpec::Find(std::string_view name) const {
  if (name.empty()) return nullptr;
  for (const PropertySpec& p : properties) {
    // Length and first byte first: most candidates differ there, without a memcmp call.
    if (p.name.size() == name.size() && p.name[0] == name[0] && p.name == name) return &p;
  }
  return nullptr;
}

const TypeSpec* FindTypeSpec(std::string_view type) {
  // Called for every object and many references: a precomputed table, not a scan of 42 names.
  static const NameTable<const TypeSpec*> kByName = [] {
    std::vector<std::pair<std::string_view, const TypeSpec*>> entries;
    for (const TypeSpec& t : kTypes) entries.emplace_back(t.type, &t);
    return NameTable<const TypeSpec*>(entries);
  }();
  const TypeSpec* const* found = kByName.Find(type);
  return found ? *found : nullptr;
}

const TypeSpec* FindExtensionSpec(std::string_view name) {
  for (const TypeSpec& t : kExtensions) {
    if (t.type == name) return &t;
  }
  return nullptr;
}

ObjectCategory CategoryOf(std::string_view type) {
  if (type == "bundle") return ObjectCategory::kBundle;
  const TypeSpec* spec = FindTypeSpec(type);
  return spec ? spec->category : ObjectCategory::kCustom;
}

std::span<const PropertySpec> CommonSdoProperties() { return kCommonSdo; }
std::span<const PropertySpec> CommonScoProperties() { return kCommonSco; }

namespace {

class NamedPropertyTable final : public PropertyTable {
 public:
  explicit NamedPropertyTable(const std::vector<std::pair<std::string_view, PropertyHit>>& entries)
      : table_(entries) {}
  PropertyHit Find(std::string_view name) const override {
    const PropertyHit* hit = table_.Find(name);
    return hit ? *hit : PropertyHit{};
  }

 private:
  NameTable<PropertyHit> table_;
};

}  // namespace

const PropertyTable* FindPropertyTable(const TypeSpec* spec, std::span<const PropertySpec> common) {
  using Key = std::pair<const void*, const void*>;
  // Every (type, common set) pair the validator asks about, built once and read-only after:
  // safe to share between validation threads.
  static const absl::flat_hash_map<Key, std::unique_ptr<PropertyTable>>* const kTables = [] {
    auto* tables = new absl::flat_hash_map<Key, std::unique_ptr<PropertyTable>>();
    auto add = [&](const TypeSpec* t, std::span<const PropertySpec> c) {
      std::vector<std::pair<std::string_view, PropertyHit>> entries;
      for (const PropertySpec& p : c) entries.emplace_back(p.name, PropertyHit{&p, false});
      if (t) {
        for (const PropertySpec& p : t->properties) {
          entries.emplace_back(p.name, PropertyHit{&p, true});
        }
      }
      tables->emplace(Key{t, c.data()}, std::make_unique<NamedPropertyTable>(entries));
    };
    for (const TypeSpec& t : kTypes) {
      add(&t, t.category == ObjectCategory::kSco    ? std::span<const PropertySpec>(kCommonSco)
              : t.category == ObjectCategory::kMeta ? std::span<const PropertySpec>()
                                                    : std::span<const PropertySpec>(kCommonSdo));
    }
    for (const TypeSpec& t : kExtensions) add(&t, {});
    add(nullptr, kCommonSdo);
    add(nullptr, kCommonSco);
    return tables;
  }();
  auto it = kTables->find(Key{spec, common.data()});
  return it == kTables->end() ? nullptr : it->second.get();
}

PropertyHit FindProperty(const TypeSpec* spec, std::span<const PropertySpec> common,
                         std::string_view name) {
  if (const PropertyTable* table = FindPropertyTable(spec, common)) return table->Find(name);
  for (const PropertySpec& p : common) {
    if (p.name == name) return {&p, false};
  }
  const PropertySpec* own = spec ? spec->Find(name) : nullptr;
  return {own, own != nullptr};
}

bool ReferenceTypeAllowed(std::string_view allowed, std::string_view type) {
  if (allowed.empty()) return type != "bundle";
  // The category is looked up only when a class name ("@sco", …) needs it.
  bool have_category = false;
  ObjectCategory cat = ObjectCategory::kCustom;
  auto category = [&] {
    if (!have_category) {
      cat = CategoryOf(type);
      have_category = true;
    }
    return cat;
  };
  while (!allowed.empty()) {
    size_t bar = allowed.find('|');
    std::string_view one = allowed.substr(0, bar);
    allowed = bar == std::string_view::npos ? std::string_view() : allowed.substr(bar + 1);
    if (one == type) return true;
    if (one.empty() || one[0] != '@') continue;
    ObjectCategory c = category();
    if (one == "@sco" && (c == ObjectCategory::kSco || c == ObjectCategory::kCustom)) return true;
    if (one == "@sdo" && (c == ObjectCategory::kSdo || c == ObjectCategory::kCustom)) return true;
    if (one == "@not-sro" && c != ObjectCategory::kSro && c != ObjectCategory::kBundle &&
        type != "marking-definition" && type != "language-content") {
      return true;
    }
    if (one == "@not-lc" && type != "language-content" && type != "bundle") return true;
  }
  return false;
}

}  // namespace ctihub::stix
