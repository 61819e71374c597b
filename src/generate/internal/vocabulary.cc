#include "generate/internal/vocabulary.h"

namespace ctihub::generate::internal {
namespace {

// Fictional nations and organisations, so generated intelligence can never be mistaken for a real
// report about a real party. Contacts use the reserved .example TLD (RFC 2606).
constexpr Organisation kOrganisations[] = {
    {"Nordmark National CERT", "organization", "government-national", "national-csirt",
     "incident@cert.nordmark.example",
     "National computer emergency response team of Nordmark; coordinates incident response for "
     "government and critical infrastructure operators.",
     true},
    {"Valdoria Ministry of Defence Cyber Command", "organization", "defense,government-national",
     "military-cert", "soc@cyber.mod.valdoria.example",
     "Defence cyber operations and CERT function of the Valdorian Ministry of Defence.", true},
    {"Ostravia Cyber Security Centre", "organization", "government-national",
     "national-cyber-security-centre", "report@ncsc.ostravia.example",
     "Technical authority for cyber security in Ostravia; publishes advisories and indicators.",
     true},
    {"Joint Alliance Cyber Coordination Cell", "group", "defense,government-national",
     "coordination", "watch@jaccc.alliance.example",
     "Coordination cell sharing threat intelligence between allied national CERTs.", true},
    {"Valdoria Financial Sector ISAC", "organization", "financial-services",
     "information-sharing-and-analysis-center", "analysts@fs-isac.valdoria.example",
     "Information sharing and analysis centre of Valdorian banks and insurers.", true},
    {"Carrentia Ministry of Foreign Affairs", "organization", "government-national", "ministry",
     "it-security@mfa.carrentia.example",
     "Foreign ministry of Carrentia, including its network of embassies.", false},
    {"Bank of Ardenne", "organization", "financial-services", "constituent",
     "cert@bank-ardenne.example", "Retail and corporate bank headquartered in Ardenne.", false},
    {"Helvar Energy Transmission", "organization", "energy,utilities", "constituent",
     "psirt@helvar-energy.example", "Electricity transmission system operator.", false},
    {"St. Aldric University Hospital", "organization", "healthcare", "constituent",
     "security@st-aldric-hospital.example", "University hospital with 1,400 beds.", false},
    {"Trellis Telecom", "organization", "telecommunications", "constituent",
     "abuse@trellis-telecom.example", "Fixed and mobile network operator.", false},
    {"Meridian Aerospace Systems", "organization", "aerospace,defense,manufacturing", "constituent",
     "csirt@meridian-aero.example", "Manufacturer of avionics and defence electronics.", false},
    {"Lumen Water Authority", "organization", "water,utilities,government-local", "constituent",
     "ot-security@lumen-water.example", "Regional drinking-water and wastewater utility.", false},
    {"Nordmark Ministry of Education", "organization", "education,government-national", "ministry",
     "cert@edu.nordmark.example", "Education ministry operating the national school network.",
     false},
    {"Healthcare providers (anonymised)", "class", "healthcare", "sector", "",
     "Generic identity standing for reporting healthcare organisations (anonymised sightings).",
     false},
};

constexpr Technique kTechniques[] = {
    {"T1566.001", "Spearphishing Attachment", "initial-access",
     "Adversaries send spearphishing emails with a malicious attachment to gain access."},
    {"T1566.002", "Spearphishing Link", "initial-access",
     "Adversaries send spearphishing emails with a malicious link to gain access."},
    {"T1190", "Exploit Public-Facing Application", "initial-access",
     "Adversaries exploit a weakness in an Internet-facing host or program."},
    {"T1133", "External Remote Services", "initial-access,persistence",
     "Adversaries leverage external-facing remote services such as VPNs to gain access."},
    {"T1078", "Valid Accounts", "defense-evasion,persistence,privilege-escalation,initial-access",
     "Adversaries obtain and abuse credentials of existing accounts."},
    {"T1059.001", "PowerShell", "execution",
     "Adversaries abuse PowerShell commands and scripts for execution."},
    {"T1059.003", "Windows Command Shell", "execution",
     "Adversaries abuse the Windows command shell for execution."},
    {"T1204.002", "Malicious File", "execution",
     "An adversary relies on a user opening a malicious file to gain execution."},
    {"T1053.005", "Scheduled Task", "execution,persistence,privilege-escalation",
     "Adversaries abuse the Windows Task Scheduler to run malicious code."},
    {"T1547.001", "Registry Run Keys / Startup Folder", "persistence,privilege-escalation",
     "Adversaries achieve persistence by adding a program to a Run key or the startup folder."},
    {"T1543.003", "Windows Service", "persistence,privilege-escalation",
     "Adversaries create or modify Windows services to execute malicious payloads."},
    {"T1055", "Process Injection", "defense-evasion,privilege-escalation",
     "Adversaries inject code into processes to evade defences and elevate privileges."},
    {"T1027", "Obfuscated Files or Information", "defense-evasion",
     "Adversaries make an executable or file difficult to discover or analyse."},
    {"T1574.002", "DLL Side-Loading", "persistence,privilege-escalation,defense-evasion",
     "Adversaries execute payloads by side-loading DLLs next to legitimate programs."},
    {"T1070.004", "File Deletion", "defense-evasion",
     "Adversaries delete files left behind by their intrusion activity."},
    {"T1003.001", "LSASS Memory", "credential-access",
     "Adversaries access credential material stored in the memory of LSASS."},
    {"T1110.003", "Password Spraying", "credential-access",
     "Adversaries try a few common passwords against many accounts."},
    {"T1555.003", "Credentials from Web Browsers", "credential-access",
     "Adversaries acquire credentials by reading files specific to web browsers."},
    {"T1082", "System Information Discovery", "discovery",
     "Adversaries gather detailed information about the operating system and hardware."},
    {"T1083", "File and Directory Discovery", "discovery",
     "Adversaries enumerate files and directories."},
    {"T1018", "Remote System Discovery", "discovery",
     "Adversaries list other systems on the network for lateral movement."},
    {"T1021.001", "Remote Desktop Protocol", "lateral-movement",
     "Adversaries use valid accounts to log into a computer using RDP."},
    {"T1021.002", "SMB/Windows Admin Shares", "lateral-movement",
     "Adversaries use valid accounts to interact with a remote network share over SMB."},
    {"T1570", "Lateral Tool Transfer", "lateral-movement",
     "Adversaries transfer tools or other files between systems in a compromised environment."},
    {"T1560.001", "Archive via Utility", "collection",
     "Adversaries compress or encrypt collected data with a utility before exfiltration."},
    {"T1005", "Data from Local System", "collection",
     "Adversaries search local system sources such as file systems for data of interest."},
    {"T1114.002", "Remote Email Collection", "collection",
     "Adversaries target an Exchange server or Office 365 to collect sensitive mail."},
    {"T1071.001", "Web Protocols", "command-and-control",
     "Adversaries communicate using web protocols to blend in with normal traffic."},
    {"T1071.004", "DNS", "command-and-control",
     "Adversaries communicate using the Domain Name System to avoid detection."},
    {"T1573.002", "Asymmetric Cryptography", "command-and-control",
     "Adversaries use asymmetric encryption to conceal command and control traffic."},
    {"T1105", "Ingress Tool Transfer", "command-and-control",
     "Adversaries transfer tools or other files from an external system."},
    {"T1090.002", "External Proxy", "command-and-control",
     "Adversaries use an external proxy to direct command and control traffic."},
    {"T1041", "Exfiltration Over C2 Channel", "exfiltration",
     "Adversaries steal data by exfiltrating it over an existing command and control channel."},
    {"T1567.002", "Exfiltration to Cloud Storage", "exfiltration",
     "Adversaries exfiltrate data to a cloud storage service rather than their own C2."},
    {"T1486", "Data Encrypted for Impact", "impact",
     "Adversaries encrypt data on target systems to interrupt availability."},
    {"T1490", "Inhibit System Recovery", "impact",
     "Adversaries delete or remove built-in data and services designed to aid recovery."},
    {"T1485", "Data Destruction", "impact",
     "Adversaries destroy data and files on specific systems or in large numbers."},
    {"T1498", "Network Denial of Service", "impact",
     "Adversaries perform network denial of service attacks to degrade availability."},
    {"T1595.002", "Vulnerability Scanning", "reconnaissance",
     "Adversaries scan victims for vulnerabilities that can be used during targeting."},
    {"T1583.001", "Domains", "resource-development",
     "Adversaries acquire domains that can be used during targeting."},
    {"T1588.002", "Tool", "resource-development",
     "Adversaries buy, steal or download software tools for use during targeting."},
};

constexpr Mitigation kMitigations[] = {
    {"M1049", "Antivirus/Antimalware",
     "Use signatures or heuristics to detect malicious software."},
    {"M1031", "Network Intrusion Prevention",
     "Use intrusion detection signatures to block traffic at network boundaries."},
    {"M1032", "Multi-factor Authentication",
     "Use two or more pieces of evidence to authenticate to a system."},
    {"M1042", "Disable or Remove Feature or Program",
     "Remove or deny access to unnecessary and potentially vulnerable software."},
    {"M1051", "Update Software", "Perform regular software updates to mitigate exploitation risk."},
    {"M1017", "User Training",
     "Train users to be aware of access or manipulation attempts by an adversary."},
    {"M1026", "Privileged Account Management",
     "Manage the creation, modification, use and permissions of privileged accounts."},
    {"M1037", "Filter Network Traffic",
     "Use network appliances to filter ingress or egress traffic and protocol-based filtering."},
    {"M1038", "Execution Prevention",
     "Block execution of code on a system through application control."},
    {"M1040", "Behavior Prevention on Endpoint",
     "Use capabilities to prevent suspicious behaviour patterns on endpoint systems."},
    {"M1047", "Audit", "Perform audits or scans of systems, permissions and insecure software."},
    {"M1030", "Network Segmentation",
     "Architect sections of the network to isolate critical systems and resources."},
    {"M1021", "Restrict Web-Based Content",
     "Restrict use of certain websites, block downloads and attachments, block JavaScript."},
    {"M1054", "Software Configuration",
     "Implement configuration changes to software to mitigate security risks."},
    {"M1027", "Password Policies", "Set and enforce secure password policies for accounts."},
    {"M1053", "Data Backup",
     "Take and store data backups from end user systems and critical servers offline."},
    {"M1050", "Exploit Protection",
     "Use capabilities to detect and block conditions that may lead to software exploitation."},
    {"M1018", "User Account Management",
     "Manage the creation, modification, use and permissions of user accounts."},
    {"M1022", "Restrict File and Directory Permissions",
     "Restrict access by setting directory and file permissions."},
    {"M1028", "Operating System Configuration",
     "Make configuration changes to the operating system to harden it against techniques."},
};

constexpr ToolSpec kTools[] = {
    {"Mimikatz", "credential-exploitation", "credential-access", "2.2.0",
     "Credential dumping utility that extracts plaintext passwords and hashes from memory."},
    {"PsExec", "remote-access", "execution,lateral-movement", "2.43",
     "Sysinternals utility to execute processes on remote systems."},
    {"AdFind", "information-gathering", "discovery", "1.57",
     "Command-line Active Directory query tool abused for domain reconnaissance."},
    {"Rclone", "unknown", "exfiltration", "1.65.0",
     "Command-line program to sync files with cloud storage, abused for exfiltration."},
    {"Cobalt Strike", "remote-access,exploitation", "command-and-control,execution", "4.9",
     "Commercial adversary simulation framework whose Beacon payload is widely abused."},
    {"Impacket", "exploitation,remote-access", "lateral-movement,credential-access", "0.11.0",
     "Python classes for network protocols, used for remote execution and credential theft."},
    {"ngrok", "remote-access", "command-and-control", "3.5.0",
     "Reverse proxy service abused to expose internal services through tunnels."},
    {"Nmap", "information-gathering,vulnerability-scanning", "discovery,reconnaissance", "7.94",
     "Network scanner used for host and service discovery."},
    {"Masscan", "information-gathering", "reconnaissance", "1.3.2",
     "High-speed Internet-scale port scanner."},
    {"SharpHound", "information-gathering", "discovery", "2.3.0",
     "Data collector for BloodHound that maps Active Directory attack paths."},
    {"LaZagne", "credential-exploitation", "credential-access", "2.4.5",
     "Tool to retrieve passwords stored by common applications."},
    {"ProcDump", "credential-exploitation", "credential-access", "11.0",
     "Sysinternals utility abused to dump LSASS memory."},
    {"AnyDesk", "remote-access", "command-and-control", "8.0.6",
     "Remote desktop software abused for persistent interactive access."},
    {"Chisel", "remote-access", "command-and-control", "1.9.1",
     "TCP/UDP tunnel over HTTP used to pivot into internal networks."},
    {"Plink", "remote-access", "command-and-control,lateral-movement", "0.80",
     "Command-line SSH client used to create tunnels."},
    {"Advanced IP Scanner", "information-gathering", "discovery", "2.5",
     "Free network scanner frequently seen before ransomware deployment."},
    {"Metasploit", "exploitation", "execution,privilege-escalation", "6.3",
     "Penetration testing framework with a large exploit library."},
    {"Responder", "credential-exploitation,network-capture", "credential-access", "3.1.3",
     "LLMNR, NBT-NS and MDNS poisoner that captures authentication hashes."},
    {"tcpdump", "network-capture", "discovery,collection", "4.99",
     "Packet analyser used to capture network traffic."},
    {"hping3", "denial-of-service", "impact", "3.0.0",
     "Packet crafting tool used for flooding and firewall testing."},
    {"Nuclei", "vulnerability-scanning", "reconnaissance", "3.1.0",
     "Template-based vulnerability scanner."},
    {"Sliver", "remote-access", "command-and-control,execution", "1.5.41",
     "Open-source adversary emulation framework with implants over mTLS, HTTP and DNS."},
};

constexpr LocationSpec kLocations[] = {
    {"Germany", "DE", "western-europe", 525200, 134050, "Berlin"},
    {"France", "FR", "western-europe", 488566, 23522, "Paris"},
    {"Belgium", "BE", "western-europe", 508503, 43517, "Brussels"},
    {"Netherlands", "NL", "western-europe", 523676, 49041, "Amsterdam"},
    {"Poland", "PL", "eastern-europe", 522297, 210122, "Warsaw"},
    {"Estonia", "EE", "northern-europe", 594370, 247536, "Tallinn"},
    {"Lithuania", "LT", "northern-europe", 546872, 252797, "Vilnius"},
    {"Norway", "NO", "northern-europe", 599139, 107522, "Oslo"},
    {"United Kingdom", "GB", "northern-europe", 515074, -1278, "London"},
    {"Italy", "IT", "southern-europe", 419028, 124964, "Rome"},
    {"Spain", "ES", "southern-europe", 404168, -37038, "Madrid"},
    {"Greece", "GR", "southern-europe", 379838, 237275, "Athens"},
    {"Romania", "RO", "eastern-europe", 444268, 261025, "Bucharest"},
    {"Ukraine", "UA", "eastern-europe", 504501, 305234, "Kyiv"},
    {"Turkey", "TR", "western-asia", 399334, 328597, "Ankara"},
    {"United States", "US", "northern-america", 389072, -770369, "Washington"},
    {"Canada", "CA", "northern-america", 454215, -756972, "Ottawa"},
    {"Brazil", "BR", "south-america", -157975, -478919, "Brasilia"},
    {"Japan", "JP", "eastern-asia", 356762, 1396503, "Tokyo"},
    {"South Korea", "KR", "eastern-asia", 375665, 1269780, "Seoul"},
    {"India", "IN", "southern-asia", 286139, 772090, "New Delhi"},
    {"Singapore", "SG", "south-eastern-asia", 13521, 1038198, "Singapore"},
    {"Australia", "AU", "australia-new-zealand", -352809, 1491300, "Canberra"},
    {"South Africa", "ZA", "southern-africa", -257479, 282293, "Pretoria"},
    {"Nigeria", "NG", "western-africa", 90765, 73986, "Abuja"},
    {"Western Europe", "", "western-europe", 0, 0, ""},
    {"Eastern Europe", "", "eastern-europe", 0, 0, ""},
    {"Northern Europe", "", "northern-europe", 0, 0, ""},
    {"Central Asia", "", "central-asia", 0, 0, ""},
    {"Western Asia", "", "western-asia", 0, 0, ""},
};

constexpr std::string_view kStateGoals[] = {
    "Collect intelligence on defence procurement",
    "Monitor diplomatic negotiations",
    "Pre-position access in energy and water utilities",
    "Steal aerospace intellectual property",
    "Track dissidents and journalists abroad",
    "Obtain long-term access to government networks",
};
constexpr std::string_view kCrimeGoals[] = {
    "Extort victims through data theft and encryption",
    "Steal payment card and banking credentials",
    "Sell initial access to other criminal groups",
    "Monetise compromised hosts through fraud",
};
constexpr std::string_view kActivistGoals[] = {
    "Disrupt public websites of governments that oppose its cause",
    "Leak documents to embarrass targeted organisations",
    "Gain publicity through defacements",
};
constexpr std::string_view kInsiderGoals[] = {
    "Exfiltrate proprietary documents before leaving the company",
    "Sabotage systems in retaliation for a dismissal",
};

constexpr ActorArchetype kActorArchetypes[] = {
    {"nation-state", "agent,director,infrastructure-operator", "organizational-gain",
     "dominance,ideology", "government", "advanced,expert,strategic", kStateGoals,
     "state-sponsored", "a state-sponsored group conducting long-term intrusions"},
    {"nation-state,spy", "agent,malware-author", "dominance", "organizational-gain",
     "government,organization", "advanced,expert,innovator", kStateGoals, "espionage",
     "an espionage actor serving a foreign intelligence service"},
    {"crime-syndicate", "director,malware-author,infrastructure-operator", "personal-gain",
     "organizational-gain", "organization,team", "intermediate,advanced,expert", kCrimeGoals,
     "financially-motivated", "a financially motivated criminal syndicate"},
    {"criminal", "agent,independent", "personal-gain", "personal-satisfaction",
     "individual,club,team", "minimal,intermediate,advanced", kCrimeGoals, "cybercrime",
     "a loosely organised cybercriminal crew"},
    {"activist", "agent,independent", "ideology", "notoriety,revenge", "club,contest,team",
     "minimal,intermediate", kActivistGoals, "hacktivism", "a hacktivist collective"},
    {"insider-disgruntled", "independent", "revenge", "personal-gain", "individual",
     "minimal,intermediate", kInsiderGoals, "insider-threat", "a malicious insider"},
};

constexpr MalwareArchetype kMalwareArchetypes[] = {
    {"ransomware",
     "compromises-data-availability,evades-av,exfiltrates-data,"
     "persists-after-system-reboot,probes-network-environment,degrades-system-updates",
     "Locker,Crypt,,Ransom", "impact,execution,defense-evasion", "ransomware"},
    {"remote-access-trojan",
     "accesses-remote-machines,communicates-with-c2,"
     "captures-input-peripherals,controls-local-machine,persists-after-system-reboot,"
     "exfiltrates-data",
     "RAT,,Shell", "command-and-control,persistence,collection", "remote access trojan"},
    {"downloader,dropper",
     "communicates-with-c2,installs-other-components,evades-av,"
     "anti-sandbox,anti-vm,fingerprints-host",
     "Loader,,Drop,Load", "execution,command-and-control", "loader"},
    {"spyware,keylogger",
     "captures-input-peripherals,captures-system-state-data,exfiltrates-data,"
     "steals-authentication-credentials,hides-artifacts",
     "Stealer,,Spy,Grab", "credential-access,collection,exfiltration", "information stealer"},
    {"backdoor",
     "accesses-remote-machines,communicates-with-c2,hides-executing-code,"
     "persists-after-system-reboot,anti-debugging,self-modifies",
     "Door,,Gate", "persistence,command-and-control,defense-evasion", "backdoor"},
    {"wiper",
     "compromises-data-integrity,compromises-system-availability,"
     "cleans-traces-of-infection,escalates-privileges",
     "Wipe,,Erase", "impact", "wiper"},
    {"bot,ddos",
     "communicates-with-c2,infects-remote-machines,compromises-system-availability,"
     "determines-c2-server",
     "Bot,,Net", "impact,command-and-control", "botnet malware"},
    {"webshell", "accesses-remote-machines,controls-local-machine,hides-artifacts", "Shell,,Web",
     "persistence,execution", "web shell"},
    {"rootkit",
     "hides-artifacts,hides-executing-code,escalates-privileges,"
     "degrades-security-software,persists-after-system-reboot",
     "Kit,,Root", "defense-evasion,privilege-escalation", "rootkit"},
};

constexpr std::string_view kActorAdjectives[] = {
    "Crimson", "Silent",    "Obsidian", "Iron",    "Velvet",  "Copper",  "Hollow",   "Frozen",
    "Scarlet", "Midnight",  "Ashen",    "Cobalt",  "Granite", "Emerald", "Azure",    "Gilded",
    "Rusty",   "Pale",      "Sable",    "Thorned", "Quiet",   "Distant", "Northern", "Burning",
    "Hidden",  "Wandering", "Lunar",    "Solar",   "Brass",   "Glass",   "Restless", "Salt",
};
constexpr std::string_view kActorAnimals[] = {
    "Kestrel", "Lynx",   "Heron",  "Viper",     "Badger",   "Jackal",  "Marten", "Osprey",
    "Mantis",  "Hornet", "Otter",  "Wolverine", "Raven",    "Ibex",    "Gecko",  "Condor",
    "Pike",    "Stoat",  "Tapir",  "Moth",      "Scorpion", "Bison",   "Cobra",  "Crane",
    "Dingo",   "Egret",  "Ferret", "Gannet",    "Hyena",    "Lamprey", "Magpie", "Narwhal",
};
constexpr std::string_view kOperationNouns[] = {
    "Harbor",  "Lantern",  "Meridian", "Cascade", "Tundra",    "Beacon",  "Ember",   "Quarry",
    "Mirage",  "Anvil",    "Lattice",  "Orchard", "Compass",   "Trident", "Monsoon", "Parchment",
    "Granary", "Keystone", "Sundial",  "Bastion", "Driftwood", "Citadel", "Pylon",   "Bridge",
};
constexpr std::string_view kSectors[] = {
    "government-national", "defense",    "energy",     "financial-services", "healthcare",
    "telecommunications",  "aerospace",  "water",      "education",          "transportation",
    "manufacturing",       "technology", "non-profit", "pharmaceuticals",    "government-local",
};
constexpr std::string_view kSectorNouns[] = {
    "government",         "defence",    "energy",        "banking",        "healthcare",
    "telecommunications", "aerospace",  "water utility", "education",      "logistics",
    "manufacturing",      "technology", "think-tank",    "pharmaceutical", "municipal",
};
constexpr std::string_view kRegions[] = {
    "Western Europe",  "Eastern Europe", "the Nordic countries", "the Baltic states",
    "Southern Europe", "Central Asia",   "the Middle East",      "North America",
    "South-East Asia", "the Balkans",
};
constexpr std::string_view kBehaviours[] = {
    "harvests credentials from browser stores",
    "uses scheduled tasks for persistence",
    "exfiltrates compressed archives over HTTPS",
    "moves laterally with stolen administrator credentials",
    "deploys ransomware after weeks of reconnaissance",
    "abuses legitimate cloud storage for command and control",
    "side-loads a malicious DLL through a signed executable",
    "tunnels command and control traffic over DNS",
    "disables endpoint protection before staging payloads",
    "encrypts its configuration with a hard-coded RC4 key",
    "enumerates Active Directory with LDAP queries",
    "dumps LSASS memory to obtain domain credentials",
    "installs a web shell on exposed Exchange servers",
    "relays traffic through compromised home routers",
    "deletes volume shadow copies to prevent recovery",
    "beacons every 60 seconds with random jitter",
    "stages stolen data on a file server before exfiltration",
    "registers look-alike domains of targeted ministries",
};
constexpr std::string_view kDeliveries[] = {
    "spearphishing attachments with macro-enabled documents",
    "links to credential-harvesting pages",
    "exploitation of exposed VPN appliances",
    "trojanised software updates",
    "ISO and LNK files sent as invoices",
    "compromised managed service provider accounts",
    "watering-hole websites frequented by the targets",
    "password spraying against webmail portals",
    "malicious advertisements for popular utilities",
    "HTML smuggling in shipping notifications",
};
constexpr std::string_view kAnalystPhrases[] = {
    "Telemetry from several constituents shows that",
    "Our analysis indicates that",
    "Partner CERTs report that",
    "Incident response engagements confirm that",
    "Passive DNS data suggests that",
    "Sandbox detonations show that",
    "Open-source reporting and our own collection indicate that",
    "Network sensors at the alliance perimeter observed that",
};
constexpr std::string_view kAssessments[] = {
    "We assess with moderate confidence that the activity will continue.",
    "Defenders should review authentication logs for the listed indicators.",
    "The activity is assessed to be opportunistic rather than targeted.",
    "Attribution remains tentative and is based on overlapping infrastructure.",
    "Blocking the listed infrastructure at the perimeter is recommended.",
    "No impact on classified networks has been observed.",
    "Affected organisations have been notified through national CERT channels.",
    "The infrastructure is frequently rotated; indicators age quickly.",
};
constexpr std::string_view kProducts[] = {
    "Arclight VPN Gateway",  "Nimbus File Transfer",    "Corvid Mail Server",
    "Helix Content Manager", "Tessellate ERP Suite",    "Quillon Remote Desktop Broker",
    "Brightwater SCADA HMI", "Palisade Firewall OS",    "Ledger Line Payment Switch",
    "Orrery Hypervisor",     "Stratus Identity Portal", "Kiln Build Server",
};
constexpr std::string_view kVulnClasses[] = {
    "a heap-based buffer overflow",
    "an authentication bypass",
    "an OS command injection flaw",
    "a path traversal vulnerability",
    "an insecure deserialisation flaw",
    "a server-side request forgery",
    "a use-after-free",
    "an SQL injection vulnerability",
    "a privilege escalation flaw",
    "an improper certificate validation",
};
constexpr std::string_view kVulnImpacts[] = {
    "execute arbitrary code with system privileges",
    "read arbitrary files from the appliance",
    "bypass multi-factor authentication",
    "obtain administrator sessions",
    "cause a denial of service",
    "write files outside the upload directory",
    "access internal services",
};
constexpr std::string_view kImplementationLanguages[] = {
    "c", "c++", "c#", "go", "python", "powershell", "javascript", "visual-basic", "java",
};
constexpr std::string_view kArchitectures[] = {"x86", "x86-64", "arm", "mips"};
constexpr std::string_view kInfrastructureKinds[] = {
    "command-and-control", "phishing", "hosting-malware", "exfiltration",  "botnet",
    "anonymization",       "staging",  "reconnaissance",  "amplification",
};
constexpr std::string_view kTlds[] = {
    "com",    "net",  "org", "info", "xyz",         "ru",          "cn",          "top",
    "online", "site", "biz", "io",   "example.com", "example.net", "example.org",
};
constexpr std::string_view kDomainLures[] = {
    "secure", "update",  "login",   "cloud", "mail", "portal", "docs",
    "verify", "account", "support", "cdn",   "sync", "office", "auth",
};
constexpr std::string_view kSubdomains[] = {"mail", "cdn", "api", "static", "vpn", "owa", "ns1"};
constexpr std::string_view kUrlPaths[] = {
    "/login.php",
    "/wp-content/plugins/wp-upd/update.js",
    "/download/invoice.zip",
    "/api/v2/checkin",
    "/owa/auth/logon.aspx",
    "/images/logo.png",
    "/files/report.iso",
    "/admin/config.bin",
    "/s/share",
    "/gate.php",
    "/cdn/jquery.min.js",
    "/secure/verify.html",
};
constexpr std::string_view kFileNames[] = {
    "invoice",  "update",    "setup",   "report",   "scan",
    "payment",  "contract",  "svchost", "msupdate", "chrome_installer",
    "document", "statement", "agenda",  "cv",
};
constexpr std::string_view kFileExtensions[] = {
    ".exe", ".dll", ".pdf.exe", ".docm", ".xlsm", ".iso", ".lnk", ".js", ".zip", ".msi", ".ps1",
};
constexpr std::string_view kMailLocalParts[] = {
    "billing",  "hr",     "it-support", "noreply",  "accounts",
    "security", "office", "admin",      "invoices", "press",
};
constexpr std::string_view kMailSubjects[] = {
    "Invoice overdue",
    "Updated meeting agenda",
    "Password expiry notice",
    "Shipment notification",
    "Salary adjustment",
    "Conference invitation",
    "Urgent: account verification",
    "Draft communique for review",
};
constexpr std::string_view kUserAgents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
    "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1)",
    "curl/7.68.0",
    "Go-http-client/1.1",
    "python-requests/2.31.0",
    "Microsoft-CryptoAPI/10.0",
};
constexpr std::string_view kRegistryKeys[] = {
    "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
    "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
    "HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Services",
    "HKEY_CURRENT_USER\\Software\\Classes\\ms-settings\\shell\\open\\command",
    "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon",
};
constexpr std::string_view kRegistryValueNames[] = {
    "OneDriveUpdate", "SecurityHealth", "WinUpdater", "AdobeSync", "Shell", "RtkAudio",
};
constexpr std::string_view kMutexPrefixes[] = {
    "Global\\", "Local\\", "Global\\MSCTF.Shared.", "", "Session\\1\\",
};
constexpr std::string_view kSurnames[] = {
    "Moreau", "Kowalski", "Lindqvist", "Novak", "Ferreira", "Jansen",  "Okafor", "Tanaka",
    "Petrov", "Haddad",   "Schneider", "Rossi", "Dubois",   "Nielsen", "Horvat", "Costa",
};
constexpr std::string_view kSandboxProducts[] = {"CAPEv2", "Cuckoo Sandbox",
                                                 "ctihub detonation lab"};
constexpr std::string_view kReportTitles[] = {
    "{actor} targets {sector} organisations in {region}",
    "{malware} {noun}: technical analysis",
    "Weekly threat digest: {sector} sector",
    "Phishing wave against {sector} entities in {region}",
    "Indicators associated with {actor}",
    "Exploitation of {product} in {region}",
    "Joint advisory: {actor} activity against {sector} networks",
};
constexpr std::string_view kNoteAbstracts[] = {
    "Analyst comment",      "Triage note",          "Correlation",
    "False-positive check", "Context from partner", "Hunting lead",
};
constexpr std::string_view kOpinionExplanations[] = {
    "Seen in our own telemetry during the same period.",
    "The domain resolves to a shared hosting provider; likely benign.",
    "Matches traffic blocked at two constituents.",
    "Could not reproduce; the sample did not beacon in our sandbox.",
    "Consistent with infrastructure reused by the same operators.",
    "The indicator is too generic to act on without context.",
};
constexpr std::string_view kIncidentKinds[] = {
    "ransomware intrusion",    "business email compromise", "web server compromise",
    "credential phishing",     "data exfiltration",         "denial-of-service attack",
    "supply-chain compromise", "espionage intrusion",
};
constexpr std::string_view kLabels[] = {
    "apt", "ransomware",       "phishing", "c2",      "espionage",
    "ot",  "credential-theft", "botnet",   "exploit", "financially-motivated",
};

constexpr std::string_view kUpdateNotes[] = {
    "additional infrastructure was identified and linked to this activity.",
    "confidence was revised after feedback from partner CERTs.",
    "new samples sharing the same code base were analysed.",
    "activity was observed against a further sector.",
    "indicators were re-validated and stale ones retired.",
    "attribution was refined following joint analysis.",
    "a constituent reported a related intrusion.",
};
// Regular expressions (ECMAScript/PCRE syntax) over process command lines.
constexpr std::string_view kRegexPrefixes[] = {
    "^powershell(\\.exe)? -nop -w hidden -enc [A-Za-z0-9+/=]{40,}",
    "^rundll32\\.exe C:\\\\ProgramData\\\\[a-z]{6,8}\\.dll,#1",
    "vssadmin(\\.exe)? delete shadows /all /quiet",
    "^schtasks /create /sc minute /mo [0-9]+ /tn",
    "certutil(\\.exe)? -urlcache -split -f https?://",
    "^wmic process call create",
};

}  // namespace

std::span<const Organisation> Organisations() { return kOrganisations; }
std::span<const Technique> Techniques() { return kTechniques; }
std::span<const Mitigation> Mitigations() { return kMitigations; }
std::span<const ToolSpec> Tools() { return kTools; }
std::span<const LocationSpec> Locations() { return kLocations; }
std::span<const ActorArchetype> ActorArchetypes() { return kActorArchetypes; }
std::span<const MalwareArchetype> MalwareArchetypes() { return kMalwareArchetypes; }

Words ActorAdjectives() { return kActorAdjectives; }
Words ActorAnimals() { return kActorAnimals; }
Words OperationNouns() { return kOperationNouns; }
Words Sectors() { return kSectors; }
Words SectorNouns() { return kSectorNouns; }
Words Regions() { return kRegions; }
Words Behaviours() { return kBehaviours; }
Words Deliveries() { return kDeliveries; }
Words AnalystPhrases() { return kAnalystPhrases; }
Words Assessments() { return kAssessments; }
Words Products() { return kProducts; }
Words VulnClasses() { return kVulnClasses; }
Words VulnImpacts() { return kVulnImpacts; }
Words ImplementationLanguages() { return kImplementationLanguages; }
Words Architectures() { return kArchitectures; }
Words InfrastructureKinds() { return kInfrastructureKinds; }
Words Tlds() { return kTlds; }
Words DomainLures() { return kDomainLures; }
Words Subdomains() { return kSubdomains; }
Words UrlPaths() { return kUrlPaths; }
Words FileNames() { return kFileNames; }
Words FileExtensions() { return kFileExtensions; }
Words MailLocalParts() { return kMailLocalParts; }
Words MailSubjects() { return kMailSubjects; }
Words UserAgents() { return kUserAgents; }
Words RegistryKeys() { return kRegistryKeys; }
Words RegistryValueNames() { return kRegistryValueNames; }
Words MutexPrefixes() { return kMutexPrefixes; }
Words Surnames() { return kSurnames; }
Words SandboxProducts() { return kSandboxProducts; }
Words ReportTitles() { return kReportTitles; }
Words NoteAbstracts() { return kNoteAbstracts; }
Words OpinionExplanations() { return kOpinionExplanations; }
Words IncidentKinds() { return kIncidentKinds; }
Words Labels() { return kLabels; }
Words UpdateNotes() { return kUpdateNotes; }
Words RegexPrefixes() { return kRegexPrefixes; }

}  // namespace ctihub::generate::internal
