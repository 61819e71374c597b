// sync/transfer_file: signed one-way transfer files for air-gapped and classified networks
// (a data diode or removable media: no reply channel). A file is three concatenated JSON values,
// so any JSON tool can read it (everything between the first and the last line is a STIX
// bundle):
//
//   line 1   {"ctihub_transfer":1,"sender":…,"receiver":…,"sequence":N,"created":…,
//             "sender_identity":…,"key_id":…}
//   then     a STIX 2.1 bundle {"type":"bundle","id":"bundle--…","objects":[ <exact texts> ]}
//   last     {"manifest":{…header fields…,"objects":COUNT,"bytes":B,"sha256":HEX
//             [,"deletions":["<id>",…]]},
//             "signature":"<detached JWS over the manifest's exact bytes>"}
//
// `deletions` (optional, at most kMaxTransferDeletions) names objects the receiver got from
// the sender earlier and the sender has since deleted: the receiver removes what it holds from
// the sender under those ids, when its agreement accepts the sender's deletions.
//
// Line 1 and the manifest are each one line; the bundle is written as `…"objects":[` "\n" OBJ
// (",\n" OBJ)* "\n]}", but objects may span lines, so readers frame by JSON structure.
//
// The manifest's sha256 covers every byte before the last line, and the signature covers the
// manifest, so a changed, removed, added or re-ordered byte, a truncated file and a file signed
// by an untrusted key are all refused before a single object is read. Objects keep their exact
// stored bytes (a pretty-printed object stays pretty-printed: its text is its identity).
//
//   TransferHeader h{"eu", "nato", 7, Now()};
//   CTI_ASSIGN_OR_RETURN(auto w, TransferWriter::Create("out.ctx", h, key));
//   CTI_RETURN_IF_ERROR(w->Add(object_text));   … CTI_RETURN_IF_ERROR(w->Finish().status());
//   CTI_ASSIGN_OR_RETURN(TransferManifest m, VerifyTransferFile("out.ctx", trusted_for_sender));
//   CTI_RETURN_IF_ERROR(ReadTransferObjects("out.ctx", [&](std::string_view text) {…}));
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "sync/signing.h"

namespace ctihub::sync {

struct TransferHeader {
  std::string sender;    // the sending node's name
  std::string receiver;  // the node it is addressed to
  uint64_t sequence = 0;  // 1, 2, 3 … per (sender, receiver)
  Timestamp created;
  std::string sender_identity;  // identity--… of the sender, may be empty
};

// The most deletions one file carries (the manifest line stays a few MiB); more wait for the
// next file.
inline constexpr size_t kMaxTransferDeletions = 100000;

struct TransferManifest {
  TransferHeader header;
  std::string key_id;      // the key that signed
  uint64_t objects = 0;
  uint64_t bytes = 0;      // bytes covered by sha256
  std::string sha256;      // lower-case hex
  std::vector<std::string> deletions;  // STIX ids the receiver deletes (see above)
};

class TransferWriter {
 public:
  // Starts `path` + ".partial"; Finish renames it to `path` once complete and synced, so a
  // crash never leaves a file that looks finished. AlreadyExists when `path` exists, or when
  // the .partial file does (another writer, or one that crashed: the operator removes it).
  // InvalidArgument for an empty sender or receiver, sequence 0, or names that are not UTF-8.
  // `key` must outlive the writer. Not thread-safe.
  static Result<std::unique_ptr<TransferWriter>> Create(const std::string& path,
                                                        TransferHeader header,
                                                        const SigningKey& key);
  ~TransferWriter();  // removes the .partial file unless Finish succeeded
  // One STIX object's exact text (any JSON object text; its content is not validated here, but
  // InvalidArgument when it is not one object from '{' to its matching '}', since that would
  // break the framing). Unavailable for a write error (a full medium), which ends the file.
  Status Add(std::string_view object_text);
  // Objects the receiver is to delete (STIX ids; InvalidArgument for anything else, or for
  // more than kMaxTransferDeletions in one file). Signed with the manifest by Finish.
  Status AddDeletion(std::string_view id);
  // Writes the manifest and signature, fsyncs, renames. Returns the manifest. AlreadyExists when
  // `path` appeared meanwhile (it is never replaced).
  Result<TransferManifest> Finish();
  // Finish in two steps, for a caller that records the file as sent in between: Seal writes the
  // manifest and signature and syncs the .partial file (complete and signed from then on, and
  // kept: the caller removes it if it does not go on); Publish renames it to `path`.
  Result<TransferManifest> Seal();
  Status Publish();

 private:
  struct Impl;
  explicit TransferWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Reads the whole file once: header, hash of the body, manifest, signature against `trusted`.
// DataLoss for a truncated or altered file (saying what does not match), Unauthenticated for a
// missing, malformed or untrusted signature, InvalidArgument for a file that is not a transfer
// file. Nothing about the file is trusted unless this returns OK.
Result<TransferManifest> VerifyTransferFile(const std::string& path, const TrustedKeys& trusted);

// Calls `each` with every object's exact text, in order. Call only after VerifyTransferFile.
// Stops at, and returns, the first error from `each`; DataLoss when the body is not a header
// line and a bundle. Memory is bounded by the largest object, not the file.
Status ReadTransferObjects(const std::string& path,
                           const std::function<Status(std::string_view object_text)>& each);
// The same, and it hashes as it reads: DataLoss at the end when the file is no longer the one
// `verified` describes (replaced on removable media between verification and import), so a
// caller that imports inside a transaction can roll back.
Status ReadTransferObjects(const std::string& path, const TransferManifest& verified,
                           const std::function<Status(std::string_view object_text)>& each);

// The sequence rule of one-way transfer: the next file from a sender must carry
// last_imported + 1. FailedPrecondition otherwise, worded for the operator: a replay or an
// out-of-order file (sequence <= last_imported), or a gap (names the missing numbers; allowed
// only with `accept_gap`, when the operator knows those files are lost).
Status CheckTransferSequence(uint64_t last_imported, uint64_t sequence, bool accept_gap);

}  // namespace ctihub::sync
