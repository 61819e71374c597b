#include "app/serve_command.h"

#include <fmt/core.h>
#include <openssl/rand.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "app/audit_commands.h"
#include "app/cli_checks.h"
#include "app/exit_codes.h"
#include "app/federation_commands.h"
#include "app/import_command.h"
#include "app/node_config.h"
#include "app/policy_commands.h"
#include "audit/audit_log.h"
#include "auth/accounts.h"
#include "net/http_server.h"
#include "stix/canonical_json.h"
#include "store/release_gate.h"
#include "store/sqlite/sqlite_store.h"
#include "sync/node_signer.h"
#include "sync/signing.h"
#include "taxii/service.h"

namespace ctihub::app {
namespace {

namespace fs = std::filesystem;

int Fail(const Status& s) {
  fmt::print(stderr, "ctihub serve: {}\n", s.ToString());
  return kExitUsage;
}

Result<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return InvalidArgument("cannot read " + path);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

std::string GeneratePassword() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";  // no look-alikes
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();  // no entropy: refuse to continue
  std::string out;
  for (unsigned char b : bytes) out += kAlphabet[b % (sizeof kAlphabet - 1)];
  return out;
}

// SHA-256 of a (small) file in hex; empty when it cannot be read.
std::string FileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return taxii::Sha256Hex(
      std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
}

// A node without an administrator (a fresh store, or one whose config declares only other
// users) gets an `admin` user in the node's organisation, so the server is never open and
// someone may manage it. Its password comes from --admin-password-file,
// $CTIHUB_ADMIN_PASSWORD, or is generated and printed once.
Status EnsureAdmin(auth::Accounts& accounts, const ServeFlags& flags,
                   const std::string& organisation) {
  CTI_ASSIGN_OR_RETURN(std::vector<auth::User> users, accounts.ListUsers());
  for (const auth::User& u : users) {
    if (u.admin && !u.disabled) return Status::Ok();
  }
  for (const auth::User& u : users) {
    if (u.name == "admin") {
      fmt::print(stderr,
                 "ctihub serve: note: no administrator: make one with `ctihub user set admin "
                 "--admin true` or `ctihub user add NAME --org {} --admin`\n",
                 organisation);
      return Status::Ok();
    }
  }
  std::string password;
  bool generated = false;
  if (!flags.admin_password_file.empty()) {
    CTI_ASSIGN_OR_RETURN(password, ReadSecretFile(flags.admin_password_file));
  } else if (const char* env = std::getenv("CTIHUB_ADMIN_PASSWORD"); env && *env) {
    password = env;
  } else {
    password = GeneratePassword();
    generated = true;
  }
  auth::User admin;
  admin.name = "admin";
  admin.organisation = organisation;
  admin.admin = true;
  CTI_RETURN_IF_ERROR(accounts.AddUser(admin, password));
  if (generated) {
    fmt::print("created user 'admin' with password {}\n"
               "  (shown once; change it with `ctihub user passwd admin`)\n",
               password);
  } else {
    fmt::print("created user 'admin' with the given password\n");
  }
  return Status::Ok();
}

// A collection an API root names must exist: a misspelt name would otherwise leave the
// collection it meant under the "*" root, served where it was not meant to be.
Status CheckApiRootCollections(const taxii::ServiceOptions& options, store::Store& st) {
  for (const taxii::ApiRootOptions& root : options.api_roots) {
    for (const std::string& name : root.collections) {
      if (name == "*") continue;
      Result<store::Collection> found = st.FindCollection(name);
      if (found.ok()) continue;
      if (found.status().code() != StatusCode::kNotFound) return found.status();
      return InvalidArgument("API root '" + root.name + "' names collection '" + name +
                             "', which does not exist (declare it under [[collections]] or "
                             "create it with `ctihub import --collection " + name + "`)");
    }
  }
  return Status::Ok();
}

int Serve(const ServeFlags& flags) {
  store::RegisterSqliteBackend();
  if (flags.store.rfind("memory:", 0) == 0) {
    // Each handler thread opens its own connection: a memory store would be a different,
    // empty one per thread.
    return Fail(InvalidArgument("serve needs a persistent store (sqlite:PATH), not " +
                                flags.store));
  }
  NodeConfig config;
  if (!flags.config.empty()) {
    Result<NodeConfig> loaded = LoadNodeConfig(flags.config);
    if (!loaded.ok()) return Fail(loaded.status());
    config = std::move(*loaded);
  }
  if (!flags.listen.empty()) config.server.listen = flags.listen;
  // The self-signed development certificate would silently replace the configured one, and with
  // it a required client certificate.
  if (flags.dev_tls && config.server.tls) {
    return Fail(InvalidArgument("--dev-tls would replace the [tls] of " + flags.config +
                                " (and any required client certificate): use one or the other"));
  }
  if (flags.threads) config.server.threads = flags.threads;
  // Beyond this a node spends its memory on stacks and never gets to listen.
  constexpr unsigned kMaxThreads = 1024;
  if (config.server.threads > kMaxThreads || config.server.handler_threads > kMaxThreads) {
    return Fail(InvalidArgument("server threads and handler_threads must be at most " +
                                std::to_string(kMaxThreads)));
  }
  if (config.server.threads == 0) config.server.threads = std::thread::hardware_concurrency();
  if (config.server.threads == 0) config.server.threads = 2;
  // Handlers wait on Argon2 (capped below the core count) and on the store's write lock, so
  // twice the cores keep cached-credential reads flowing meanwhile.
  if (config.server.handler_threads == 0) {
    config.server.handler_threads = std::max(4u, 2 * config.server.threads);
  }

  // Before anything changes: a node whose audit log cannot be continued does not start.
  if (Status s = CheckAuditLog(flags.store); !s.ok()) return Fail(s);
  Result<std::unique_ptr<store::Store>> st = store::Store::Open(flags.store);
  if (!st.ok()) return Fail(st.status());
  Result<std::unique_ptr<auth::Accounts>> accounts = auth::Accounts::Open(flags.store);
  if (!accounts.ok()) return Fail(accounts.status());
  std::vector<std::string> notes;
  // What the config file and the first administrator change is recorded, each change as one
  // entry — also when applying the file fails part-way.
  if (Status applied = ApplyNodeConfigRecorded(
          config, **st, **accounts, flags.store, flags.config, &notes,
          [&] { return EnsureAdmin(**accounts, flags, config.policy.node_organisation); });
      !applied.ok()) {
    return Fail(applied);
  }
  for (const std::string& note : notes) fmt::print(stderr, "ctihub serve: note: {}\n", note);
  if (Status s = CheckApiRootCollections(config.taxii, **st); !s.ok()) return Fail(s);

  if (flags.dev_tls) {
    std::string location = flags.store.substr(flags.store.find(':') + 1);
    fs::path dir = fs::path(location + ".dev-tls");
    std::error_code ec;
    fs::create_directories(dir, ec);
    net::TlsOptions tls;
    tls.certificate_file = (dir / "certificate.pem").string();
    tls.private_key_file = (dir / "private-key.pem").string();
    if (Status s = net::WriteSelfSignedCertificate(tls.certificate_file, tls.private_key_file,
                                                   config.name);
        !s.ok()) {
      return Fail(s);
    }
    fmt::print("dev TLS: self-signed certificate {} (trust it in clients with --cacert)\n",
               tls.certificate_file);
    config.server.tls = tls;
  }

  // Signals are taken by this thread with sigwait; block them before any pool thread starts so
  // none of those threads is interrupted instead.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  // A closed terminal (SIGHUP) stops the node as SIGTERM does: requests in flight finish.
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::shared_ptr<spdlog::logger> log = spdlog::stderr_logger_mt("access");
  log->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %v", spdlog::pattern_time_type::utc);
  std::vector<std::string> policy_notes;
  Result<std::unique_ptr<policy::PolicyGate>> gate_or =
      MakePolicyGate(config, **st, **accounts, &policy_notes);
  if (!gate_or.ok()) return Fail(gate_or.status());
  policy::PolicyGate& gate = **gate_or;
  for (const std::string& note : policy_notes) {
    fmt::print(stderr,
               "ctihub serve: marking not learned (content carrying it is withheld "
               "from all but administrators and its owner): {}\n",
               note);
  }
  // Marking-definitions posted or imported while serving are learned within seconds; until
  // then content carrying them is withheld (fail closed). Organisations' attributes too.
  std::mutex refresh_mu;
  std::condition_variable refresh_cv;
  bool stopping = false;
  std::thread refresher([&, uri = flags.store] {
    Result<std::unique_ptr<store::Store>> own = store::Store::Open(uri);
    Result<std::unique_ptr<auth::Accounts>> own_accounts = auth::Accounts::Open(uri);
    // The observables references may name, read once now so that the first partner's request
    // does not wait for the whole store (each read brings it up to date after).
    if (own.ok()) {
      if (Status observables = gate.Refresh(**own); !observables.ok()) {
        fmt::print(stderr, "ctihub serve: reading the observable index: {}\n",
                   observables.ToString());
      }
    }
    std::unique_lock lock(refresh_mu);
    while (own.ok() && !refresh_cv.wait_for(lock, std::chrono::seconds(5), [&] { return stopping; })) {
      lock.unlock();
      Result<std::shared_ptr<policy::MarkingRegistry>> fresh =
          policy::LoadMarkings(**own, policy::MarkingDefinitionSources(config.policy), nullptr);
      if (fresh.ok()) gate.SetRegistry(std::move(*fresh));
      // Organisations changed with `ctihub org set` (nation, communities, identity) likewise.
      if (own_accounts.ok()) {
        Result<std::vector<policy::OrganisationProfile>> orgs = OrganisationProfiles(config, **own_accounts);
        if (orgs.ok()) gate.SetOrganisations(std::move(*orgs));
      }
      // Victims likewise; until read, what was added since waits (rule victims.pending).
      if (Status victims = gate.RefreshVictims(**own); !victims.ok()) {
        fmt::print(stderr, "ctihub serve: reading the victim index: {}\n", victims.ToString());
      }
      lock.lock();
    }
  });
  struct StopRefresher {
    std::mutex& mu;
    std::condition_variable& cv;
    bool& stopping;
    std::thread& thread;
    ~StopRefresher() {
      {
        std::lock_guard lock(mu);
        stopping = true;
      }
      cv.notify_all();
      thread.join();
    }
  } stop_refresher{refresh_mu, refresh_cv, stopping, refresher};
  // The audit log: releases, POSTs, DELETEs and sign-ins, batched in the background.
  Result<std::unique_ptr<audit::AuditLog>> audit_log =
      audit::AuditLog::Open(flags.store, CliAuditOptions());
  if (!audit_log.ok()) return Fail(audit_log.status());
  audit::Recorder recorder(audit_log->get());
  recorder.OnError([](const Status& s, size_t lost) {
    fmt::print(stderr,
               "ctihub serve: audit log: {} ({} event(s) not recorded; requests are refused "
               "with 503 until an entry can be written)\n",
               s.ToString(), lost);
  });
  {
    audit::AuditEvent start;
    start.kind = "node-start";
    start.actor = "node";
    start.subject = config.name;
    start.outcome = std::to_string(config.policy.agreements.size()) + " agreement(s)";
    stix::JsonWriter details;
    details.BeginObject().Key("config").String(flags.config);
    // The file's digest, so that which agreements and limits were in force can be shown later
    // from a kept copy.
    if (!flags.config.empty()) details.Key("config_sha256").String(FileSha256(flags.config));
    details.EndObject();
    start.details = std::move(details).Take();
    recorder.Record(std::move(start));
  }
  std::string uri = flags.store;
  taxii::Service service(
      config.taxii, [uri] { return store::Store::Open(uri); }, accounts->get(), &gate,
      config.server.handler_threads + 1);
  service.SetAudit(&recorder);
  // Federation: responses signed with the node's key, peers' uploads checked against theirs.
  std::unique_ptr<sync::SigningKey> node_key;
  if (!config.signing_key_file.empty()) {
    Result<sync::SigningKey> key = sync::SigningKey::Load(config.signing_key_file);
    if (!key.ok()) return Fail(key.status());
    node_key = std::make_unique<sync::SigningKey>(std::move(*key));
  }
  sync::NodeSigner signer(node_key.get());
  for (const sync::PeerConfig& peer : config.peers) {
    if (Status s = signer.Trust(peer.organisation, peer.trusted_keys, peer.require_signatures);
        !s.ok()) {
      return Fail(s);
    }
  }
  service.SetSigner(&signer);
  const bool tls = config.server.tls.has_value();
  config.server.error_responder = [](int status, std::string_view title) {
    taxii::Response r = taxii::Service::Error(status, title);
    return net::HttpResponse{r.status, std::move(r.headers), std::move(r.body)};
  };
  const bool access_log = flags.access_log;
  // The request's parts move into the TAXII request; its body is never copied.
  auto to_taxii = [tls](net::HttpRequest& in) {
    taxii::Request request;
    request.method = in.method;
    request.path = std::move(in.path);
    request.query = std::move(in.query);
    request.headers = std::move(in.headers);
    request.body = std::move(in.body);
    request.client_cert_sha256 = std::move(in.client_cert_sha256);
    request.remote_address = in.remote_address;
    request.scheme = tls ? "https" : "http";
    return request;
  };
  auto reply = [&log, access_log](const net::HttpRequest& in, taxii::Response r,
                                  std::chrono::steady_clock::time_point started) {
    if (access_log) {
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                            started).count();
      log->info("{} \"{} {}\" {} {} {:.1f}ms", in.remote_address, in.method, in.target, r.status,
                r.body.size(), ms);
    }
    return net::HttpResponse{r.status, std::move(r.headers), std::move(r.body)};
  };
  auto handler = [&service, to_taxii, reply](net::HttpRequest&& in) {
    auto started = std::chrono::steady_clock::now();
    taxii::Response r = service.Handle(to_taxii(in));
    return reply(in, std::move(r), started);
  };
  // Uploads are authenticated and checked from their header, before their body costs memory.
  config.server.admission = [&service, to_taxii, reply](const net::HttpRequest& head)
      -> std::optional<net::HttpResponse> {
    auto started = std::chrono::steady_clock::now();
    net::HttpRequest copy = head;  // header only: the body is not read yet
    std::optional<taxii::Response> refused = service.Admit(to_taxii(copy));
    if (!refused) return std::nullopt;
    return reply(head, std::move(*refused), started);
  };
  Result<std::unique_ptr<net::HttpServer>> server = net::HttpServer::Start(config.server, handler);
  if (!server.ok()) return Fail(server.status());
  std::string host = config.server.listen.substr(0, config.server.listen.rfind(':'));
  fmt::print("listening on {}://{}:{}{} (store {}, {} threads)\n", tls ? "https" : "http", host,
             (*server)->port(), config.taxii.discovery_path, flags.store, config.server.threads);
  std::fflush(stdout);
  // The peers' sync rounds run beside the server, each on its own thread and store connection.
  Result<std::unique_ptr<PeerScheduler>> peers = PeerScheduler::Start(
      config, flags.store, gate, std::chrono::seconds(flags.first_sync_after));
  if (!peers.ok()) return Fail(peers.status());
  if ((*peers)->peers() > 0) {
    fmt::print("syncing with {} peer(s) on their schedules\n", (*peers)->peers());
    std::fflush(stdout);
  }

  int received = 0;
  sigwait(&signals, &received);
  fmt::print("{}: finishing requests in flight, then stopping\n", received == SIGINT   ? "SIGINT"
                                                                  : received == SIGHUP ? "SIGHUP"
                                                                                       : "SIGTERM");
  std::fflush(stdout);
  peers->reset();  // rounds in flight finish their current request first
  (*server)->Shutdown();
  (*server)->Wait();
  fmt::print("stopped\n");
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, ServeFlags& flags, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "serve", "Run the TAXII 2.1 server on a store (stop with Ctrl-C, SIGTERM or SIGHUP)");
  flags.store = DefaultStoreUri();
  cmd->add_option("--store", flags.store,
                  "Store URI (sqlite:PATH); default $CTIHUB_STORE or sqlite:ctihub.db");
  cmd->add_option("--listen", flags.listen,
                  "HOST:PORT to listen on (port 0 picks a free one); default 127.0.0.1:9443 or "
                  "the config's server.listen")
      ->check(NotEmpty());
  cmd->add_option("--config", flags.config, "Node configuration file (TOML)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--admin-password-file", flags.admin_password_file,
                  "Password of the 'admin' user created on a store without users (else "
                  "$CTIHUB_ADMIN_PASSWORD, else a generated one is printed once)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--threads", flags.threads, "Server threads (default: one per core)");
  cmd->add_flag("--dev-tls", flags.dev_tls,
                "Serve HTTPS with a fresh self-signed certificate (for trying it out)");
  cmd->add_flag("!--no-access-log", flags.access_log, "Do not log each request to stderr")
      ->default_str("");
  cmd->add_option("--first-sync-after", flags.first_sync_after,
                  "Seconds after start of the first sync round with each peer (default 2; the "
                  "next ones follow each peer's interval_seconds)");
  cmd->callback([&flags, &exit_code] { exit_code = Serve(flags); });
}

}  // namespace ctihub::app
