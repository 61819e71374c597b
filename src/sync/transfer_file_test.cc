#include "sync/transfer_file.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "stix/json_reader.h"

namespace ctihub::sync {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kHeaderPrefix = R"({"ctihub_transfer":)";
constexpr std::string_view kSignatureMember = R"(,"signature":")";

const std::vector<std::string> kObjects = {
    R"({"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","pattern":"[ipv4-addr:value = '198.51.100.1']"})",
    "{\n  \"type\": \"malware\",\n  \"id\": \"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b\",\n"
    "  \"name\": \"pretty\\n\\\"printed\\\" ]}\",\n  \"labels\": [ \"a\", \"b\" ]\n}",
    // Text that looks like the framing around it must not confuse the reader.
    R"({"type":"note","id":"note--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","content":"\n]}\n{\"manifest\":{}} ,\n{","x":{"objects":[1,{}]}})",
    "{\"type\":\"identity\",\"name\":\"Société générale — 東京\"}",
    "{}",
};

Timestamp Created() { return Timestamp::Parse("2026-12-04T15:25:56.123456Z").value(); }

TransferHeader Header(uint64_t sequence) {
  return TransferHeader{"eu", "nato", sequence, Created(),
                        "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"};
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Spit(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

class TransferFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ctihub-transfer-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    key_ = std::make_unique<SigningKey>(SigningKey::Generate().value());
    ASSERT_TRUE(trusted_.Add(key_->public_key()).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string File(const std::string& name) const { return (dir_ / name).string(); }

  Result<TransferManifest> Write(const std::string& path, const TransferHeader& header,
                                 const std::vector<std::string>& objects,
                                 const SigningKey* key = nullptr) {
    CTI_ASSIGN_OR_RETURN(auto writer, TransferWriter::Create(path, header, key ? *key : *key_));
    for (const std::string& object : objects) CTI_RETURN_IF_ERROR(writer->Add(object));
    return writer->Finish();
  }

  std::vector<std::string> ReadAll(const std::string& path) {
    std::vector<std::string> out;
    Status s = ReadTransferObjects(path, [&](std::string_view text) {
      out.emplace_back(text);
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  StatusCode VerifyCode(const std::string& path) {
    return VerifyTransferFile(path, trusted_).status().code();
  }

  // A file signed by the trusted key whose body is `line1` and `bundle` as given (a sender that
  // writes an inconsistent file); `edit` changes the manifest before it is signed.
  void WriteSigned(const std::string& path, const std::string& line1, const std::string& bundle,
                   uint64_t objects,
                   const std::function<void(boost::json::object&)>& edit = nullptr) {
    const std::string body = line1 + "\n" + bundle + "\n";
    boost::json::object manifest = boost::json::parse(line1).as_object();
    manifest["objects"] = objects;
    manifest["bytes"] = body.size();
    manifest["sha256"] = Sha256Hex(body);
    if (edit) edit(manifest);
    const std::string text = boost::json::serialize(manifest);
    Spit(path, body + "{\"manifest\":" + text + std::string(kSignatureMember) +
                   key_->SignDetached(text) + "\"}\n");
  }

  std::string Line1(uint64_t sequence) {
    return R"({"ctihub_transfer":1,"sender":"eu","receiver":"nato","sequence":)" +
           std::to_string(sequence) +
           R"(,"created":"2026-12-04T15:25:56.123456Z","sender_identity":"","key_id":")" +
           key_->key_id() + "\"}";
  }

  fs::path dir_;
  std::unique_ptr<SigningKey> key_;
  TrustedKeys trusted_;
};

TEST_F(TransferFiles, RoundTripKeepsExactObjectBytes) {
  const std::string path = File("7.ctx");
  Result<TransferManifest> written = Write(path, Header(7), kObjects);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_FALSE(fs::exists(path + ".partial"));

  Result<TransferManifest> m = VerifyTransferFile(path, trusted_);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->header.sender, "eu");
  EXPECT_EQ(m->header.receiver, "nato");
  EXPECT_EQ(m->header.sequence, 7u);
  EXPECT_EQ(m->header.created, Created());
  EXPECT_EQ(m->header.sender_identity, "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff");
  EXPECT_EQ(m->key_id, key_->key_id());
  EXPECT_EQ(m->objects, kObjects.size());
  EXPECT_EQ(m->sha256, written->sha256);
  EXPECT_EQ(m->bytes, written->bytes);
  EXPECT_EQ(m->sha256.size(), 64u);

  const std::string file = Slurp(path);
  EXPECT_EQ(file.rfind(kHeaderPrefix, 0), 0u);
  EXPECT_EQ(file.substr(m->bytes).rfind("{\"manifest\":", 0), 0u);
  EXPECT_EQ(Sha256Hex(file.substr(0, m->bytes)), m->sha256);
  EXPECT_EQ(file.back(), '\n');

  EXPECT_EQ(ReadAll(path), kObjects);
  std::vector<std::string> again;
  ASSERT_TRUE(ReadTransferObjects(path, *m, [&](std::string_view t) {
                again.emplace_back(t);
                return Status::Ok();
              }).ok());
  EXPECT_EQ(again, kObjects);
}

TEST_F(TransferFiles, AnyJsonReaderSeesHeaderObjectsAndManifest) {
  const std::string path = File("1.ctx");
  ASSERT_TRUE(Write(path, Header(1), kObjects).ok());
  auto reader = stix::ObjectReader::OpenFile(path);
  ASSERT_TRUE(reader.ok());
  std::vector<std::string> pointers;
  stix::RawObject object;
  for (;;) {
    Result<bool> more = (*reader)->Next(&object);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    pointers.push_back(std::to_string(object.value_index) + object.pointer);
  }
  EXPECT_EQ(pointers, (std::vector<std::string>{"0", "1/objects/0", "1/objects/1", "1/objects/2",
                                                "1/objects/3", "1/objects/4", "2"}));
}

TEST_F(TransferFiles, EmptyTransferIsValid) {
  const std::string path = File("empty.ctx");
  ASSERT_TRUE(Write(path, Header(3), {}).ok());
  Result<TransferManifest> m = VerifyTransferFile(path, trusted_);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->objects, 0u);
  EXPECT_TRUE(ReadAll(path).empty());
}

TEST_F(TransferFiles, TruncationAtEveryOffsetIsRefused) {
  const std::string path = File("t.ctx");
  ASSERT_TRUE(Write(path, Header(1), kObjects).ok());
  const std::string file = Slurp(path);
  const std::string cut = File("cut.ctx");
  for (size_t size = 0; size < file.size(); ++size) {
    Spit(cut, std::string_view(file).substr(0, size));
    StatusCode code = VerifyCode(cut);
    EXPECT_EQ(code,
              size < kHeaderPrefix.size() ? StatusCode::kInvalidArgument : StatusCode::kDataLoss)
        << "truncated to " << size << " of " << file.size();
  }
}

TEST_F(TransferFiles, EveryFlippedByteIsRefused) {
  const std::string path = File("f.ctx");
  Result<TransferManifest> m = Write(path, Header(1), kObjects);
  ASSERT_TRUE(m.ok());
  const std::string file = Slurp(path);
  const size_t header_end = file.find('\n');
  const size_t trailer = m->bytes;
  const size_t manifest_start = trailer + std::string_view("{\"manifest\":").size();
  const size_t signature_member = file.rfind(kSignatureMember);
  const std::string flipped_path = File("flipped.ctx");
  for (size_t i = 0; i < file.size(); ++i) {
    for (unsigned char mask : {0x01, 0x20, 0x80}) {
      std::string flipped = file;
      flipped[i] = static_cast<char>(flipped[i] ^ mask);
      Spit(flipped_path, flipped);
      Result<TransferManifest> r = VerifyTransferFile(flipped_path, trusted_);
      ASSERT_FALSE(r.ok()) << "byte " << i << " ^ " << int{mask} << " was accepted";
      const StatusCode code = r.status().code();
      if (i < kHeaderPrefix.size()) {
        EXPECT_EQ(code, StatusCode::kInvalidArgument) << i;
      } else if (i < header_end || (i > header_end && i + 1 < trailer)) {
        // Line 1 and the bundle: the hash no longer matches.
        EXPECT_EQ(code, StatusCode::kDataLoss) << i << ": " << r.status().ToString();
      } else if (i >= manifest_start && i < signature_member) {
        EXPECT_EQ(code, StatusCode::kUnauthenticated) << i << ": " << r.status().ToString();
      } else if (i >= signature_member + kSignatureMember.size() && i + 3 < file.size()) {
        EXPECT_EQ(code, StatusCode::kUnauthenticated) << i << ": " << r.status().ToString();
      }
    }
  }
}

TEST_F(TransferFiles, ChangedBodyIsReportedAsAltered) {
  const std::string path = File("a.ctx");
  ASSERT_TRUE(Write(path, Header(1), kObjects).ok());
  std::string file = Slurp(path);
  file.replace(file.find("198.51.100.1"), 12, "198.51.100.2");
  Spit(path, file);
  Result<TransferManifest> r = VerifyTransferFile(path, trusted_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("altered"), std::string::npos) << r.status().message();
}

// A text-mode copy (CR LF line ends) is refused, and the message says what happened to it.
TEST_F(TransferFiles, ACopyWithCrLfLineEndsIsRefusedForWhatItIs) {
  const std::string path = File("crlf.ctx");
  ASSERT_TRUE(Write(path, Header(1), kObjects).ok());
  std::string file = Slurp(path), crlf;
  for (char c : file) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  Spit(path, crlf);
  Result<TransferManifest> r = VerifyTransferFile(path, trusted_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("copied as text"), std::string::npos) << r.status().message();
}

TEST_F(TransferFiles, AppendedRemovedOrReorderedObjectsAreRefused) {
  const std::string path = File("o.ctx");
  ASSERT_TRUE(Write(path, Header(1), kObjects).ok());
  const std::string file = Slurp(path);
  const size_t close = file.find("\n]}\n" + std::string("{\"manifest\":"));
  ASSERT_NE(close, std::string::npos);

  std::string appended = file;
  appended.insert(close, ",\n{\"type\":\"x\"}");
  std::string removed = file;
  const size_t last = removed.rfind(",\n", close);
  removed.erase(last, close - last);
  std::string reordered = file;
  const size_t first = reordered.find(kObjects[0]);
  reordered.erase(first, kObjects[0].size() + 2);  // with its ",\n"
  reordered.insert(reordered.find("\n]}\n{\"manifest\":"), ",\n" + kObjects[0]);
  ASSERT_EQ(reordered.size(), file.size());
  for (const std::string& changed : {appended, removed, reordered}) {
    Spit(path, changed);
    EXPECT_EQ(VerifyCode(path), StatusCode::kDataLoss);
  }
}

TEST_F(TransferFiles, UntrustedOrMissingSignaturesAreRefused) {
  const std::string path = File("s.ctx");
  ASSERT_TRUE(Write(path, Header(1), kObjects).ok());
  const std::string file = Slurp(path);

  SigningKey attacker = SigningKey::Generate().value();
  TrustedKeys attackers;
  ASSERT_TRUE(attackers.Add(attacker.public_key()).ok());
  Result<TransferManifest> r = VerifyTransferFile(path, attackers);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("key '" + key_->key_id() + "' is not trusted"),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(VerifyTransferFile(path, TrustedKeys()).status().code(), StatusCode::kUnauthenticated);

  // The same manifest re-signed by an untrusted key, and an altered file re-hashed and
  // re-signed by it, whatever key id the manifest claims.
  const size_t sig = file.rfind(kSignatureMember) + kSignatureMember.size();
  const size_t manifest_start = file.rfind("{\"manifest\":") + 12;
  const std::string manifest =
      file.substr(manifest_start, sig - kSignatureMember.size() - manifest_start);
  Spit(path, file.substr(0, sig) + attacker.SignDetached(manifest) + "\"}\n");
  EXPECT_EQ(VerifyCode(path), StatusCode::kUnauthenticated);

  const std::string forged = File("forged.ctx");
  ASSERT_TRUE(
      Write(forged, Header(1), {R"({"type":"indicator","pattern":"evil"})"}, &attacker).ok());
  EXPECT_EQ(VerifyCode(forged), StatusCode::kUnauthenticated);
  std::string claimed = Slurp(forged);
  const std::string attacker_kid = "\"key_id\":\"" + attacker.key_id() + "\"";
  const std::string trusted_kid = "\"key_id\":\"" + key_->key_id() + "\"";
  for (size_t at; (at = claimed.find(attacker_kid)) != std::string::npos;) {
    claimed.replace(at, attacker_kid.size(), trusted_kid);
  }
  Spit(forged, claimed);
  EXPECT_EQ(VerifyCode(forged), StatusCode::kUnauthenticated);

  // Unsigned, empty and garbage signatures.
  for (const std::string& trailer_end :
       {std::string("}\n"), std::string(",\"signature\":\"\"}\n"),
        std::string(",\"signature\":\"garbage\"}\n"), std::string(",\"signature\":null}\n")}) {
    Spit(path, file.substr(0, sig - kSignatureMember.size()) + trailer_end);
    EXPECT_EQ(VerifyCode(path), StatusCode::kUnauthenticated) << trailer_end;
  }
}

TEST_F(TransferFiles, SignedButInconsistentFilesAreRefused) {
  const std::string path = File("i.ctx");
  const std::string bundle =
      R"({"type":"bundle","id":"bundle--6d2d3c5d-7e06-4c3c-9f3d-2d5b4c1e9a10","objects":[)"
      "\n{\"type\":\"note\"},\n{\"type\":\"note\"}\n]}";

  WriteSigned(path, Line1(1), bundle, 2);
  ASSERT_TRUE(VerifyTransferFile(path, trusted_).ok());  // the helper itself is right

  WriteSigned(path, Line1(1), bundle, 3);
  Result<TransferManifest> r = VerifyTransferFile(path, trusted_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("holds 2 objects"), std::string::npos)
      << r.status().message();

  WriteSigned(path, Line1(1), bundle, 2, [](boost::json::object& m) { m["sequence"] = 2; });
  r = VerifyTransferFile(path, trusted_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("line 1 says \"sequence\": 1"), std::string::npos)
      << r.status().message();

  WriteSigned(path, Line1(1), bundle, 2,
              [](boost::json::object& m) { m["receiver"] = "someone-else"; });
  EXPECT_EQ(VerifyCode(path), StatusCode::kDataLoss);

  WriteSigned(path, Line1(1), bundle, 2, [](boost::json::object& m) { m["key_id"] = "other"; });
  EXPECT_EQ(VerifyCode(path), StatusCode::kUnauthenticated);

  WriteSigned(path, Line1(1), bundle, 2, [](boost::json::object& m) { m["ctihub_transfer"] = 2; });
  EXPECT_EQ(VerifyCode(path), StatusCode::kInvalidArgument);

  const std::string not_objects =
      R"({"type":"bundle","id":"bundle--6d2d3c5d-7e06-4c3c-9f3d-2d5b4c1e9a10","objects":[1,"x"]})";
  WriteSigned(path, Line1(1), not_objects, 2);
  EXPECT_EQ(VerifyCode(path), StatusCode::kDataLoss);

  WriteSigned(path, Line1(1), R"({"type":"report","objects":[{}]})", 1);
  EXPECT_EQ(VerifyCode(path), StatusCode::kDataLoss);

  WriteSigned(path, Line1(1), bundle + "\n" + bundle, 4);
  EXPECT_EQ(VerifyCode(path), StatusCode::kDataLoss);
}

TEST_F(TransferFiles, DeletionsAreSignedWithTheManifest) {
  const std::string path = File("d.ctx");
  const std::vector<std::string> ids = {"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                                        "x-acme-thing--31b940d4-6f7f-459a-80ea-9c1f17b5891b"};
  {
    auto writer = TransferWriter::Create(path, Header(1), *key_);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    ASSERT_TRUE((*writer)->Add(kObjects[0]).ok());
    for (const std::string& id : ids) ASSERT_TRUE((*writer)->AddDeletion(id).ok());
    for (const char* bad : {"indicator", "INDICATOR--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                            "indicator--8e2e2d2b", "--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                            "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/../x"}) {
      EXPECT_EQ((*writer)->AddDeletion(bad).code(), StatusCode::kInvalidArgument) << bad;
    }
    Result<TransferManifest> written = (*writer)->Finish();
    ASSERT_TRUE(written.ok()) << written.status().ToString();
    EXPECT_EQ(written->deletions, ids);
  }
  Result<TransferManifest> read = VerifyTransferFile(path, trusted_);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->deletions, ids);
  EXPECT_EQ(ReadAll(path), (std::vector<std::string>{kObjects[0]}));
  // A deletion added after signing (or changed) breaks the signature.
  std::string text = Slurp(path);
  const size_t at = text.find("x-acme-thing");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 12, "x-acme-thang");
  Spit(path, text);
  EXPECT_EQ(VerifyCode(path), StatusCode::kUnauthenticated);
  // Signed, but not ids: refused as a whole.
  const std::string bundle =
      R"({"type":"bundle","id":"bundle--6d2d3c5d-7e06-4c3c-9f3d-2d5b4c1e9a10","objects":[)"
      "\n{\"type\":\"note\"}\n]}";
  for (const char* bad : {R"(["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", 7])",
                          R"(["x' OR 1=1"])", R"("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")"}) {
    WriteSigned(path, Line1(1), bundle, 1,
                [&](boost::json::object& m) { m["deletions"] = boost::json::parse(bad); });
    EXPECT_EQ(VerifyCode(path), StatusCode::kInvalidArgument) << bad;
  }
}

TEST_F(TransferFiles, NotATransferFile) {
  const std::string path = File("bundle.json");
  Spit(path, std::string(R"({"type":"bundle","id":"bundle--1","objects":[]})") + "\n");
  EXPECT_EQ(VerifyCode(path), StatusCode::kInvalidArgument);
  Spit(path, "");
  EXPECT_EQ(VerifyCode(path), StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyCode(File("absent.ctx")), StatusCode::kNotFound);
}

TEST_F(TransferFiles, SwappedFileNamesDoNotMatter) {
  // The sequence is in the signed content, so renaming files cannot reorder them.
  ASSERT_TRUE(Write(File("b.ctx"), Header(1), {kObjects[0]}).ok());
  ASSERT_TRUE(Write(File("a.ctx"), Header(2), {kObjects[1]}).ok());
  Result<TransferManifest> a = VerifyTransferFile(File("a.ctx"), trusted_);
  Result<TransferManifest> b = VerifyTransferFile(File("b.ctx"), trusted_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->header.sequence, 2u);
  EXPECT_EQ(b->header.sequence, 1u);
  EXPECT_EQ(CheckTransferSequence(0, a->header.sequence, false).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CheckTransferSequence(0, b->header.sequence, false).ok());
  EXPECT_TRUE(CheckTransferSequence(b->header.sequence, a->header.sequence, false).ok());
}

TEST(TransferSequence, NextReplayOutOfOrderAndGap) {
  EXPECT_TRUE(CheckTransferSequence(0, 1, false).ok());
  EXPECT_TRUE(CheckTransferSequence(41, 42, false).ok());

  Status replay = CheckTransferSequence(5, 5, false);
  EXPECT_EQ(replay.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(replay.message().find("replay"), std::string::npos) << replay.message();
  EXPECT_NE(replay.message().find("next expected is 6"), std::string::npos) << replay.message();

  Status old = CheckTransferSequence(5, 3, false);
  EXPECT_EQ(old.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(old.message().find("out-of-order"), std::string::npos) << old.message();
  // accept_gap never lets an old file in.
  EXPECT_EQ(CheckTransferSequence(5, 5, true).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckTransferSequence(5, 3, true).code(), StatusCode::kFailedPrecondition);

  Status gap = CheckTransferSequence(5, 8, false);
  EXPECT_EQ(gap.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(gap.message().find("transfers 6 to 7 are missing"), std::string::npos) << gap.message();
  Status one = CheckTransferSequence(5, 7, false);
  EXPECT_NE(one.message().find("transfer 6 is missing"), std::string::npos) << one.message();
  EXPECT_TRUE(CheckTransferSequence(5, 8, true).ok());
  EXPECT_EQ(CheckTransferSequence(0, 0, false).code(), StatusCode::kFailedPrecondition);
}

TEST_F(TransferFiles, WriterRefusesToOverwriteAndCleansUp) {
  const std::string path = File("w.ctx");
  ASSERT_TRUE(Write(path, Header(1), {}).ok());
  EXPECT_EQ(TransferWriter::Create(path, Header(2), *key_).status().code(),
            StatusCode::kAlreadyExists);

  const std::string abandoned = File("abandoned.ctx");
  {
    auto writer = TransferWriter::Create(abandoned, Header(1), *key_);
    ASSERT_TRUE(writer.ok());
    EXPECT_TRUE(fs::exists(abandoned + ".partial"));
    // A second writer to the same file while the first runs.
    EXPECT_EQ(TransferWriter::Create(abandoned, Header(1), *key_).status().code(),
              StatusCode::kAlreadyExists);
    ASSERT_TRUE((*writer)->Add(kObjects[0]).ok());
  }
  EXPECT_FALSE(fs::exists(abandoned + ".partial"));
  EXPECT_FALSE(fs::exists(abandoned));

  // The final name appearing while the file is written is not overwritten either.
  const std::string raced = File("raced.ctx");
  auto writer = TransferWriter::Create(raced, Header(1), *key_);
  ASSERT_TRUE(writer.ok());
  Spit(raced, "someone else's\n");
  EXPECT_EQ((*writer)->Finish().status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Slurp(raced), "someone else's\n");
}

// Export records a file as sent between Seal and Publish: a sealed .partial is complete and
// signed, and stays when the writer goes away unpublished (a crash after the record).
TEST_F(TransferFiles, ASealedFileIsCompleteAndKeptUntilPublished) {
  const std::string path = File("sealed.ctx");
  {
    auto writer = TransferWriter::Create(path, Header(1), *key_);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Add(kObjects[0]).ok());
    ASSERT_TRUE((*writer)->Seal().ok());
    EXPECT_FALSE(fs::exists(path));
    EXPECT_EQ((*writer)->Add(kObjects[1]).code(), StatusCode::kFailedPrecondition);
  }
  ASSERT_TRUE(fs::exists(path + ".partial"));
  EXPECT_TRUE(VerifyTransferFile(path + ".partial", trusted_).ok());

  const std::string published = File("published.ctx");
  auto writer = TransferWriter::Create(published, Header(1), *key_);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Seal().ok());
  ASSERT_TRUE((*writer)->Publish().ok());
  EXPECT_TRUE(fs::exists(published));
  EXPECT_FALSE(fs::exists(published + ".partial"));
  EXPECT_TRUE(VerifyTransferFile(published, trusted_).ok());
}

TEST_F(TransferFiles, WriterValidatesItsInput) {
  EXPECT_EQ(TransferWriter::Create(File("x.ctx"), Header(0), *key_).status().code(),
            StatusCode::kInvalidArgument);
  TransferHeader no_sender = Header(1);
  no_sender.sender.clear();
  EXPECT_EQ(TransferWriter::Create(File("x.ctx"), no_sender, *key_).status().code(),
            StatusCode::kInvalidArgument);
  TransferHeader bad_utf8 = Header(1);
  bad_utf8.receiver = "\xff\xfe";
  EXPECT_EQ(TransferWriter::Create(File("x.ctx"), bad_utf8, *key_).status().code(),
            StatusCode::kInvalidArgument);

  auto writer = TransferWriter::Create(File("x.ctx"), Header(1), *key_);
  ASSERT_TRUE(writer.ok());
  for (std::string_view bad : {"", " {}", "{} ", "[1]", "{\"a\":1}{\"b\":2}", "{\"a\":\"}",
                               "{\"a\":1", "\"text\"", "{\"a\":[}"}) {
    EXPECT_EQ((*writer)->Add(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  ASSERT_TRUE((*writer)->Add("{\"a\":\"\\\"}\"}").ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_EQ((*writer)->Add("{}").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*writer)->Finish().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(VerifyTransferFile(File("x.ctx"), trusted_).ok());
}

TEST_F(TransferFiles, NamesWithQuotesAndNewlinesRoundTrip) {
  TransferHeader header = Header(9);
  header.sender = "eu \"west\"\nline two — ü";
  header.receiver = "nato\\hq";
  ASSERT_TRUE(Write(File("n.ctx"), header, {kObjects[0]}).ok());
  const std::string file = Slurp(File("n.ctx"));
  // After line 1, '[', the object, "]}" and the manifest: none from the names.
  EXPECT_EQ(std::count(file.begin(), file.end(), '\n'), 5);
  Result<TransferManifest> m = VerifyTransferFile(File("n.ctx"), trusted_);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->header.sender, header.sender);
  EXPECT_EQ(m->header.receiver, header.receiver);
}

TEST_F(TransferFiles, ReadStopsAtTheCallersError) {
  ASSERT_TRUE(Write(File("r.ctx"), Header(1), kObjects).ok());
  int seen = 0;
  Status s = ReadTransferObjects(File("r.ctx"), [&](std::string_view) {
    return ++seen == 2 ? ResourceExhausted("store full") : Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "store full");
  EXPECT_EQ(seen, 2);
}

TEST_F(TransferFiles, ReadWithManifestNoticesAFileReplacedAfterVerification) {
  const std::string path = File("v.ctx");
  ASSERT_TRUE(Write(path, Header(1), {kObjects[0]}).ok());
  ASSERT_TRUE(Write(File("other.ctx"), Header(1), {kObjects[1]}).ok());
  Result<TransferManifest> m = VerifyTransferFile(path, trusted_);
  ASSERT_TRUE(m.ok());
  fs::copy_file(File("other.ctx"), path, fs::copy_options::overwrite_existing);
  Status s = ReadTransferObjects(path, *m, [](std::string_view) { return Status::Ok(); });
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
}

// 1M objects (~1 GB): run by hand with --gtest_also_run_disabled_tests; it checks that writing,
// verifying and reading stream with bounded memory.
TEST_F(TransferFiles, DISABLED_MillionObjectsStreamInBoundedMemory) {
  const std::string path = File("big.ctx");
  std::string object =
      "{\n  \"type\": \"indicator\",\n  \"id\": \"indicator--00000000-0000-4000-8000-000000000000\""
      ",\n  \"description\": \"" +
      std::string(880, 'x') + "\"\n}";
  constexpr uint64_t kCount = 1'000'000;
  auto start = std::chrono::steady_clock::now();
  auto lap = [&](const char* what) {
    auto now = std::chrono::steady_clock::now();
    std::printf("%s: %.2f s\n", what, std::chrono::duration<double>(now - start).count());
    start = now;
  };
  {
    auto writer = TransferWriter::Create(path, Header(1), *key_);
    ASSERT_TRUE(writer.ok());
    for (uint64_t i = 0; i < kCount; ++i) ASSERT_TRUE((*writer)->Add(object).ok());
    ASSERT_TRUE((*writer)->Finish().ok());
  }
  lap("write");
  Result<TransferManifest> m = VerifyTransferFile(path, trusted_);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->objects, kCount);
  lap("verify");
  uint64_t read = 0;
  ASSERT_TRUE(ReadTransferObjects(path, *m, [&](std::string_view text) {
                read += text == object;
                return Status::Ok();
              }).ok());
  EXPECT_EQ(read, kCount);
  lap("read");
  struct rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  std::printf("file %llu bytes, peak RSS %ld KiB\n",
              static_cast<unsigned long long>(fs::file_size(path)), usage.ru_maxrss);
  EXPECT_LT(usage.ru_maxrss, 100 * 1024);
}

}  // namespace
}  // namespace ctihub::sync
