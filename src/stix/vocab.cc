#include "stix/vocab.h"

#include <algorithm>
#include <iterator>

#include "common/name_table.h"

namespace ctihub::stix {
namespace {

// Values from the STIX 2.1 specification, section 10 (vocabularies) and the enumerations of
// sections 4-7. Kept as data so the table is easy to audit against the spec.
constexpr std::string_view kAccountTypeVocab[] = {
    "unix", "windows-local", "windows-domain", "ldap", "tacacs", "radius", "nis", "openid",
    "facebook", "skype", "twitter", "kavi",
};
constexpr std::string_view kAttackMotivationVocab[] = {
    "accidental", "coercion", "dominance", "ideology", "notoriety", "organizational-gain",
    "personal-gain", "personal-satisfaction", "revenge", "unpredictable",
};
constexpr std::string_view kAttackResourceLevelVocab[] = {
    "individual", "club", "contest", "team", "organization", "government",
};
constexpr std::string_view kGroupingContextVocab[] = {
    "suspicious-activity", "malware-analysis", "unspecified",
};
constexpr std::string_view kHashAlgorithmVocab[] = {
    "MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512", "SSDEEP", "TLSH",
};
constexpr std::string_view kIdentityClassVocab[] = {
    "individual", "group", "system", "organization", "class", "unknown",
};
constexpr std::string_view kImplementationLanguageVocab[] = {
    "applescript", "bash", "c", "c++", "c#", "go", "java", "javascript", "lua", "objective-c",
    "perl", "php", "powershell", "python", "ruby", "scala", "swift", "typescript", "visual-basic",
    "x86-32", "x86-64",
};
constexpr std::string_view kIndicatorTypeVocab[] = {
    "anomalous-activity", "anonymization", "benign", "compromised", "malicious-activity",
    "attribution", "unknown",
};
constexpr std::string_view kIndustrySectorVocab[] = {
    "agriculture", "aerospace", "automotive", "chemical", "commercial", "communications",
    "construction", "defense", "education", "energy", "engineering", "entertainment",
    "financial-services", "government", "emergency-services", "government-local",
    "government-national", "government-public-services", "government-regional", "healthcare",
    "hospitality-leisure", "infrastructure", "dams", "nuclear", "water", "insurance",
    "manufacturing", "mining", "non-profit", "pharmaceuticals", "retail", "technology",
    "telecommunications", "transportation", "utilities",
};
constexpr std::string_view kInfrastructureTypeVocab[] = {
    "amplification", "anonymization", "botnet", "command-and-control", "control-system",
    "exfiltration", "firewall", "hosting-malware", "hosting-target-lists", "phishing",
    "reconnaissance", "routers-switches", "staging", "workstation", "unknown",
};
constexpr std::string_view kMalwareAvResultVocab[] = {
    "malicious", "suspicious", "benign", "unknown",
};
constexpr std::string_view kMalwareCapabilitiesVocab[] = {
    "accesses-remote-machines", "anti-debugging", "anti-disassembly", "anti-emulation",
    "anti-memory-forensics", "anti-sandbox", "anti-vm", "captures-input-peripherals",
    "captures-output-peripherals", "captures-system-state-data", "cleans-traces-of-infection",
    "commits-fraud", "communicates-with-c2", "compromises-data-availability",
    "compromises-data-integrity", "compromises-system-availability", "controls-local-machine",
    "degrades-security-software", "degrades-system-updates", "determines-c2-server",
    "emails-spam", "escalates-privileges", "evades-av", "exfiltrates-data", "fingerprints-host",
    "hides-artifacts", "hides-executing-code", "infects-files", "infects-remote-machines",
    "installs-other-components", "persists-after-system-reboot", "prevents-artifact-access",
    "prevents-artifact-deletion", "probes-network-environment", "self-modifies",
    "steals-authentication-credentials", "violates-system-operational-integrity",
};
constexpr std::string_view kMalwareTypeVocab[] = {
    "adware", "backdoor", "bot", "bootkit", "ddos", "downloader", "dropper", "exploit-kit",
    "keylogger", "ransomware", "remote-access-trojan", "resource-exploitation",
    "rogue-security-software", "rootkit", "screen-capture", "spyware", "trojan", "unknown",
    "virus", "webshell", "wiper", "worm",
};
constexpr std::string_view kPatternTypeVocab[] = {
    "stix", "pcre", "sigma", "snort", "suricata", "yara",
};
constexpr std::string_view kProcessorArchitectureVocab[] = {
    "alpha", "arm", "ia-64", "mips", "powerpc", "sparc", "x86", "x86-64",
};
constexpr std::string_view kRegionVocab[] = {
    "africa", "eastern-africa", "middle-africa", "northern-africa", "southern-africa",
    "western-africa", "americas", "latin-america-caribbean", "south-america", "caribbean",
    "central-america", "northern-america", "asia", "eastern-asia", "central-asia",
    "southern-asia", "south-eastern-asia", "western-asia", "europe", "eastern-europe",
    "northern-europe", "southern-europe", "western-europe", "oceania", "antarctica",
    "australia-new-zealand", "melanesia", "micronesia", "polynesia",
};
constexpr std::string_view kReportTypeVocab[] = {
    "attack-pattern", "campaign", "identity", "indicator", "intrusion-set", "malware",
    "observed-data", "threat-actor", "threat-report", "tool", "vulnerability",
};
constexpr std::string_view kThreatActorRoleVocab[] = {
    "agent", "director", "independent", "infrastructure-architect", "infrastructure-operator",
    "malware-author", "sponsor",
};
constexpr std::string_view kThreatActorSophisticationVocab[] = {
    "none", "minimal", "intermediate", "advanced", "expert", "innovator", "strategic",
};
constexpr std::string_view kThreatActorTypeVocab[] = {
    "activist", "competitor", "crime-syndicate", "criminal", "hacker", "insider-accidental",
    "insider-disgruntled", "nation-state", "sensationalist", "spy", "terrorist", "unknown",
};
constexpr std::string_view kToolTypeVocab[] = {
    "denial-of-service", "exploitation", "information-gathering", "network-capture",
    "credential-exploitation", "remote-access", "vulnerability-scanning", "unknown",
};
constexpr std::string_view kWindowsPebinaryTypeVocab[] = {
    "dll", "exe", "sys",
};
constexpr std::string_view kEncryptionAlgorithmEnum[] = {
    "AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated",
};
constexpr std::string_view kExtensionTypeEnum[] = {
    "new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension",
};
constexpr std::string_view kNetworkSocketAddressFamilyEnum[] = {
    "AF_UNSPEC", "AF_INET", "AF_IPX", "AF_APPLETALK", "AF_NETBIOS", "AF_INET6", "AF_IRDA",
    "AF_BTH",
};
constexpr std::string_view kNetworkSocketTypeEnum[] = {
    "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET",
};
constexpr std::string_view kOpinionEnum[] = {
    "strongly-disagree", "disagree", "neutral", "agree", "strongly-agree",
};
constexpr std::string_view kWindowsIntegrityLevelEnum[] = {
    "low", "medium", "high", "system",
};
constexpr std::string_view kWindowsRegistryDatatypeEnum[] = {
    "REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD", "REG_DWORD_BIG_ENDIAN",
    "REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ", "REG_RESOURCE_LIST",
    "REG_FULL_RESOURCE_DESCRIPTION", "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD",
    "REG_INVALID_TYPE",
};
constexpr std::string_view kWindowsServiceStartTypeEnum[] = {
    "SERVICE_AUTO_START", "SERVICE_BOOT_START", "SERVICE_DEMAND_START", "SERVICE_DISABLED",
    "SERVICE_SYSTEM_ALERT",
};
constexpr std::string_view kWindowsServiceStatusEnum[] = {
    "SERVICE_CONTINUE_PENDING", "SERVICE_PAUSE_PENDING", "SERVICE_PAUSED", "SERVICE_RUNNING",
    "SERVICE_START_PENDING", "SERVICE_STOP_PENDING", "SERVICE_STOPPED",
};
constexpr std::string_view kWindowsServiceTypeEnum[] = {
    "SERVICE_KERNEL_DRIVER", "SERVICE_FILE_SYSTEM_DRIVER", "SERVICE_WIN32_OWN_PROCESS",
    "SERVICE_WIN32_SHARE_PROCESS",
};

#define CTI_VOCAB(name, closed, array) {name, closed, array, std::size(array)}
constexpr Vocabulary kVocabularies[] = {
    CTI_VOCAB("account-type-ov", false, kAccountTypeVocab),
    CTI_VOCAB("attack-motivation-ov", false, kAttackMotivationVocab),
    CTI_VOCAB("attack-resource-level-ov", false, kAttackResourceLevelVocab),
    CTI_VOCAB("encryption-algorithm-enum", true, kEncryptionAlgorithmEnum),
    CTI_VOCAB("extension-type-enum", true, kExtensionTypeEnum),
    CTI_VOCAB("grouping-context-ov", false, kGroupingContextVocab),
    CTI_VOCAB("hash-algorithm-ov", false, kHashAlgorithmVocab),
    CTI_VOCAB("identity-class-ov", false, kIdentityClassVocab),
    CTI_VOCAB("implementation-language-ov", false, kImplementationLanguageVocab),
    CTI_VOCAB("indicator-type-ov", false, kIndicatorTypeVocab),
    CTI_VOCAB("industry-sector-ov", false, kIndustrySectorVocab),
    CTI_VOCAB("infrastructure-type-ov", false, kInfrastructureTypeVocab),
    CTI_VOCAB("malware-av-result-ov", false, kMalwareAvResultVocab),
    CTI_VOCAB("malware-capabilities-ov", false, kMalwareCapabilitiesVocab),
    CTI_VOCAB("malware-type-ov", false, kMalwareTypeVocab),
    CTI_VOCAB("network-socket-address-family-enum", true, kNetworkSocketAddressFamilyEnum),
    CTI_VOCAB("network-socket-type-enum", true, kNetworkSocketTypeEnum),
    CTI_VOCAB("opinion-enum", true, kOpinionEnum),
    CTI_VOCAB("pattern-type-ov", false, kPatternTypeVocab),
    CTI_VOCAB("processor-architecture-ov", false, kProcessorArchitectureVocab),
    CTI_VOCAB("region-ov", false, kRegionVocab),
    CTI_VOCAB("report-type-ov", false, kReportTypeVocab),
    CTI_VOCAB("threat-actor-role-ov", false, kThreatActorRoleVocab),
    CTI_VOCAB("threat-actor-sophistication-ov", false, kThreatActorSophisticationVocab),
    CTI_VOCAB("threat-actor-type-ov", false, kThreatActorTypeVocab),
    CTI_VOCAB("tool-type-ov", false, kToolTypeVocab),
    CTI_VOCAB("windows-integrity-level-enum", true, kWindowsIntegrityLevelEnum),
    CTI_VOCAB("windows-pebinary-type-ov", false, kWindowsPebinaryTypeVocab),
    CTI_VOCAB("windows-registry-datatype-enum", true, kWindowsRegistryDatatypeEnum),
    CTI_VOCAB("windows-service-start-type-enum", true, kWindowsServiceStartTypeEnum),
    CTI_VOCAB("windows-service-status-enum", true, kWindowsServiceStatusEnum),
    CTI_VOCAB("windows-service-type-enum", true, kWindowsServiceTypeEnum),
};
#undef CTI_VOCAB

}  // namespace

bool Vocabulary::Contains(std::string_view value) const {
  return std::find(values, values + size, value) != values + size;
}

const Vocabulary* FindVocabulary(std::string_view name) {
  static const NameTable<const Vocabulary*> kByName = [] {
    std::vector<std::pair<std::string_view, const Vocabulary*>> entries;
    for (const Vocabulary& v : kVocabularies) entries.emplace_back(v.name, &v);
    return NameTable<const Vocabulary*>(entries);
  }();
  const Vocabulary* const* found = kByName.Find(name);
  return found ? *found : nullptr;
}

}  // namespace ctihub::stix
