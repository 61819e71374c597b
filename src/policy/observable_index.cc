#include "policy/observable_index.h"

#include <simdjson.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <utility>

#include "common/normalise.h"
#include "stix/sco_id.h"

namespace ctihub::policy {
namespace {

// Whether an ID Contributing Property of `type` can hold a reference (network-traffic's
// src_ref, file's parent_directory_ref, email-message's from_ref, extensions).
bool HashesReferences(std::string_view type) {
  const std::vector<std::string_view>* properties = stix::IdContributingProperties(type);
  if (!properties) return false;
  return std::any_of(properties->begin(), properties->end(), [](std::string_view p) {
    return p == "extensions" || p.ends_with("_ref") || p.ends_with("_refs");
  });
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char LowerChar(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The observable type `written` names (any case), or empty.
std::string_view ObservableType(std::string_view written) {
  for (std::string_view type : kObservableTypes) {
    if (type.size() == written.size() &&
        std::equal(type.begin(), type.end(), written.begin(),
                   [](char t, char w) { return t == LowerChar(w); })) {
      return type;
    }
  }
  return {};
}

// The observable type written just before s[end] (any case, whatever comes before it: a type
// glued to other text, "x-ipv4-addr--…", still names it), or empty.
std::string_view TypeEndingAt(std::string_view s, size_t end) {
  for (std::string_view type : kObservableTypes) {
    if (type.size() <= end && ObservableType(s.substr(end - type.size(), type.size())) == type) {
      return type;
    }
  }
  return {};
}

// The UUID starting at s[i], lower case with its hyphens ("8-4-4-4-12"), from that form or from
// 32 hex digits in a row (not part of a longer run: a SHA-256 is no UUID); empty when none.
std::string UuidAt(std::string_view s, size_t i, size_t* length) {
  if (i + 36 <= s.size()) {
    bool ok = true;
    for (size_t k = 0; k < 36 && ok; ++k) {
      const char c = s[i + k];
      ok = (k == 8 || k == 13 || k == 18 || k == 23) ? c == '-' : IsHex(c);
    }
    if (ok) {
      *length = 36;
      std::string out(s.substr(i, 36));
      for (char& c : out) c = LowerChar(c);
      return out;
    }
  }
  if (i + 32 <= s.size() && (i + 32 == s.size() || !IsHex(s[i + 32]))) {
    for (size_t k = 0; k < 32; ++k) {
      if (!IsHex(s[i + k])) return {};
    }
    *length = 32;
    std::string out;
    for (size_t k = 0; k < 32; ++k) {
      if (k == 8 || k == 12 || k == 16 || k == 20) out += '-';
      out += LowerChar(s[i + k]);
    }
    return out;
  }
  return {};
}

// Observables' ids written as such in `s` ("type--uuid", any case, the UUID also unbroken).
void TypedIds(std::string_view s, std::vector<std::string>* out) {
  for (size_t at = s.find("--"); at != std::string_view::npos; at = s.find("--", at + 1)) {
    std::string_view type = TypeEndingAt(s, at);
    size_t length = 0;
    std::string uuid = type.empty() ? std::string() : UuidAt(s, at + 2, &length);
    if (!uuid.empty()) out->push_back(std::string(type) + "--" + uuid);
  }
}

// Every UUID in `s`, however it is introduced (bare, urn:uuid:, after another type), but those
// of ids written as an observable's (TypedIds has them; as another observable type they would
// name nothing).
void AnyUuids(std::string_view s, std::vector<std::string>* out) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsHex(s[i]) || (i > 0 && IsHex(s[i - 1]))) continue;  // only where a hex run starts
    size_t length = 0;
    std::string uuid = UuidAt(s, i, &length);
    if (uuid.empty()) continue;
    const bool typed =
        i >= 2 && s[i - 1] == '-' && s[i - 2] == '-' && !TypeEndingAt(s, i - 2).empty();
    if (!typed) out->push_back(std::move(uuid));
    i += length - 1;
  }
}

// The reference properties that name identities and marking-definitions only: a UUID in them
// is not tried as an observable's (MayNameObservables skips them the same way).
bool NamesNoObservable(std::string_view key) {
  return key == "created_by_ref" || key == "object_marking_refs" || key == "marking_ref";
}

// Walks a parsed object, keeping where it is as a stack of steps (views into the parser's
// strings): the selector is spelled out only for what names an observable, since building one
// per property was most of the walk's time.
struct Walker {
  struct Step {
    std::string_view key;  // empty for a list member
    size_t index = 0;
  };
  std::vector<ObservableMention>* out;
  std::vector<Step> steps;
  size_t unnameable = 0;  // steps under a key no selector can name

  void Add(std::vector<std::string> ids, std::vector<std::string> uuids) {
    if (ids.empty() && uuids.empty()) return;
    ObservableMention m{std::move(ids), std::move(uuids), {}, {}};
    if (!steps.empty()) m.top = std::string(steps.front().key);
    if (unnameable == 0) {
      for (const Step& step : steps) {
        if (!m.selector.empty()) m.selector += '.';
        if (step.key.empty()) {
          m.selector += "[" + std::to_string(step.index) + "]";
        } else {
          m.selector += step.key;
        }
      }
    }
    out->push_back(std::move(m));
  }
  void Walk(simdjson::dom::element e, bool under_ref) {
    simdjson::dom::object object;
    simdjson::dom::array array;
    std::string_view text;
    if (e.get_object().get(object) == simdjson::SUCCESS) {
      for (auto [key, value] : object) {
        // Its own id: what it becomes is the redaction's to say (an SCO is renamed). Granular
        // markings' selectors: one naming content that goes is dropped with it by the redactor,
        // one that cannot be placed again withholds the object.
        if (steps.empty() && (key == "id" || key == "granular_markings")) continue;
        // A selector cannot name a key with a dot in it (§7.2.3.1 splits on dots), one that
        // reads as a list step ("[0]", "[*]") or an empty one: below one, nothing is nameable,
        // and the caller must withhold rather than remove.
        const bool bad = key.empty() || key.find('.') != std::string_view::npos ||
                         (key.front() == '[' && key.back() == ']');
        steps.push_back({key, 0});
        unnameable += bad;
        if (key.find("--") != std::string_view::npos) {
          std::vector<std::string> ids;
          TypedIds(key, &ids);
          Add(std::move(ids), {});
        }
        Walk(value, under_ref || ((key.ends_with("_ref") || key.ends_with("_refs")) &&
                                  !NamesNoObservable(key)));
        unnameable -= bad;
        steps.pop_back();
      }
    } else if (e.get_array().get(array) == simdjson::SUCCESS) {
      size_t i = 0;
      for (simdjson::dom::element member : array) {
        steps.push_back({{}, i++});
        Walk(member, under_ref);
        steps.pop_back();
      }
    } else if (e.get_string().get(text) == simdjson::SUCCESS) {
      std::vector<std::string> ids, uuids;
      if (text.find("--") != std::string_view::npos) TypedIds(text, &ids);
      if (under_ref) AnyUuids(text, &uuids);
      Add(std::move(ids), std::move(uuids));
    }
  }
};

}  // namespace

bool MayNameObservables(std::string_view text) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  // A \u escape may spell any of it. (memchr: glibc's memmem was a third of this function.)
  for (const char* at = begin; at < end;) {
    const void* hit = std::memchr(at, '\\', static_cast<size_t>(end - at));
    if (hit == nullptr) break;
    const char* slash = static_cast<const char*>(hit);
    if (slash + 1 < end && slash[1] == 'u') return true;
    at = slash + 2;
  }
  // A reference property other than the three that name identities and marking-definitions:
  // a custom one may hold an observable's UUID in any shape.
  for (const char* at = begin; at < end;) {
    const void* hit = memmem(at, static_cast<size_t>(end - at), "_ref", 4);
    if (hit == nullptr) break;
    const char* ref = static_cast<const char*>(hit);
    const char* after = ref + 4;
    if (after < end && *after == 's') ++after;
    at = ref + 4;
    if (after >= end || *after != '"') continue;  // not the end of a key
    const char* key = ref;
    while (key > begin && key[-1] != '"') --key;
    const std::string_view name(key, static_cast<size_t>(after - key));
    if (!NamesNoObservable(name)) return true;
  }
  // Every "--" (ids of every kind have one), and the type before it, compared without
  // allocating: this runs on every object a restricted recipient is served.
  for (const char* at = begin; at + 1 < end;) {
    const void* hit = std::memchr(at, '-', static_cast<size_t>(end - at - 1));
    if (hit == nullptr) return false;
    const char* dash = static_cast<const char*>(hit);
    if (dash[1] != '-') {
      at = dash + 1;
      continue;
    }
    if (!TypeEndingAt(text, static_cast<size_t>(dash - begin)).empty()) return true;
    at = dash + 2;
  }
  return false;
}

std::vector<ObservableMention> ObservableMentions(std::string_view object_json) {
  std::vector<ObservableMention> out;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(object_json.data(), object_json.size()).get(root) != simdjson::SUCCESS) {
    return out;
  }
  Walker{&out, {}, 0}.Walk(root, false);
  return out;
}

uint64_t ObservableIndex::UnmarkedKey(uint32_t collection, std::string_view id) {
  return XXH3_64bits_withSeed(id.data(), id.size(), collection);
}

Status ObservableIndex::Refresh(store::Store& st) {
  std::lock_guard serial(refresh_mu_);
  CTI_ASSIGN_OR_RETURN(std::vector<store::Collection> collections, st.ListCollections());
  for (const store::Collection& c : collections) {
    int64_t since = 0;
    uint32_t index = 0;
    {
      std::unique_lock write(mu_);
      index = CollectionLocked(c.id);
      auto known = read_until_.find(c.id);
      if (known != read_until_.end()) since = known->second;
    }
    int64_t until = since;
    // Only types whose ids can hash a reference need their text read; the others' markings are
    // in the store's columns. A collection's first read goes type by type, which its type index
    // serves (all types at once made SQLite walk the date index over every object: 1 s for a
    // 1M-object store); later ones start at the newest object read, where the date index is
    // the quickest way.
    std::vector<std::vector<std::string>> reads;
    for (bool with_text : {true, false}) {
      std::vector<std::string> types;
      for (std::string_view type : kObservableTypes) {
        if (HashesReferences(type) == with_text) types.emplace_back(type);
      }
      if (since) {
        reads.push_back(std::move(types));
      } else {
        for (std::string& t : types) reads.push_back({std::move(t)});
      }
    }
    for (std::vector<std::string>& types : reads) {
      const bool with_text = HashesReferences(types.front());
      store::Query q;
      q.types = std::move(types);
      q.versions = store::VersionMatch::All();
      q.with_text = with_text;
      q.limit = 1000;
      if (since) q.added_after = Timestamp(since);
      for (;;) {
        CTI_ASSIGN_OR_RETURN(store::Page page, st.List(c.id, q));
        if (page.objects.empty()) break;
        // Granular markings: which properties they select is in the text (and rows stored
        // before the store recorded them say nothing without it).
        for (store::StoredObject& o : page.objects) {
          if (!o.text.empty() || (o.granular_known && o.granular_refs.empty())) continue;
          CTI_ASSIGN_OR_RETURN(std::vector<store::StoredObject> full,
                               st.Get(c.id, o.id, store::VersionMatch::All()));
          if (!full.empty()) o.text = std::move(full.front().text);
        }
        std::unique_lock write(mu_);
        bool learned = false;
        for (const store::StoredObject& o : page.objects) {
          until = std::max(until, o.date_added.micros());
          learned = LearnLocked(o, index) || learned;
        }
        if (learned) ++generation_;
        if (!page.more || !page.next) break;
        q.after = page.next;
      }
    }
    std::unique_lock write(mu_);
    read_until_[c.id] = until;
  }
  return Status::Ok();
}

void ObservableIndex::Learn(const store::StoredObject& object, std::string_view collection_id) {
  std::unique_lock write(mu_);
  LearnLocked(object, CollectionLocked(collection_id));
  ++generation_;
}

uint32_t ObservableIndex::CollectionLocked(std::string_view collection_id) {
  auto it = collections_.find(collection_id);
  if (it != collections_.end()) return it->second;
  const uint32_t index = static_cast<uint32_t>(collections_.size());
  collections_.emplace(std::string(collection_id), index);
  return index;
}

bool ObservableIndex::LearnLocked(const store::StoredObject& object, uint32_t collection) {
  const std::string id = LowerAscii(object.id);
  const std::vector<std::string_view>* contributing = stix::IdContributingProperties(object.type);
  auto hashed = [&](std::string_view top) {
    return contributing == nullptr || top == "id" ||
           std::find(contributing->begin(), contributing->end(), top) != contributing->end();
  };
  Copy copy;
  copy.markings = object.markings;
  // Granular markings over what its id is computed from: a reference gives that away. One over
  // anything else only costs the copy itself that part (redaction).
  if (!object.text.empty() && !(object.granular_known && object.granular_refs.empty())) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    simdjson::dom::array granular;
    if (parser.parse(object.text).get(root) == simdjson::SUCCESS &&
        root["granular_markings"].get_array().get(granular) == simdjson::SUCCESS) {
      for (simdjson::dom::element g : granular) {
        std::string_view ref;
        if (g["marking_ref"].get_string().get(ref) != simdjson::SUCCESS) continue;
        simdjson::dom::array selectors;
        bool counts = g["selectors"].get_array().get(selectors) != simdjson::SUCCESS;
        if (!counts) {
          for (simdjson::dom::element sel : selectors) {
            std::string_view text;
            if (sel.get_string().get(text) != simdjson::SUCCESS ||
                hashed(text.substr(0, text.find('.')))) {
              counts = true;
            }
          }
        }
        if (counts) copy.granular.emplace_back(ref);
      }
    }
  } else if (!object.granular_refs.empty()) {
    copy.granular = object.granular_refs;  // which properties is not known: all count
  }
  std::sort(copy.granular.begin(), copy.granular.end());
  copy.granular.erase(std::unique(copy.granular.begin(), copy.granular.end()), copy.granular.end());
  // The observables its id hashes (named in its ID Contributing Properties, §2.9: a
  // network-traffic's src_ref and dst_ref, an email-message's from_ref, whatever its extensions
  // name, …): a reference to it gives theirs away too. Others (encapsulates_refs, to_refs) do
  // not, and go or stay when it is released itself.
  std::vector<std::string> refs;
  if (contributing && !object.text.empty() && MayNameObservables(object.text)) {
    for (ObservableMention& m : ObservableMentions(object.text)) {
      if (!m.selector.empty() && !hashed(m.top)) continue;  // unnameable: counted, fail closed
      for (std::string& r : m.ids) {
        if (r != id) refs.push_back(std::move(r));
      }
      for (const std::string& uuid : m.uuids) {
        for (std::string_view type : kObservableTypes) {
          std::string r = std::string(type) + "--" + uuid;
          if (r != id) refs.push_back(std::move(r));
        }
      }
    }
  }
  const bool marked = !copy.markings.empty() || !copy.granular.empty();
  if (!marked && object.origin.empty()) unmarked_.insert(UnmarkedKey(collection, id));
  if (!marked && refs.empty()) return false;
  Entry& entry = entries_[id];
  if (marked) {
    copy.created_by = object.created_by;
    copy.origin = object.origin;
    auto [it, added] = copy_index_.try_emplace(copy, static_cast<uint32_t>(copies_.size()));
    if (added) copies_.push_back(copy);
    const Held held{collection, it->second};
    if (std::find(entry.copies.begin(), entry.copies.end(), held) == entry.copies.end()) {
      entry.copies.push_back(held);
    }
  }
  for (std::string& r : refs) {
    if (std::find(entry.refs.begin(), entry.refs.end(), r) == entry.refs.end()) {
      entry.refs.push_back(std::move(r));
    }
  }
  uuids_.insert(XXH3_64bits(id.data() + id.size() - std::min<size_t>(id.size(), 36),
                            std::min<size_t>(id.size(), 36)));
  return true;
}

bool ObservableIndex::KnowsUuid(std::string_view uuid) const {
  std::shared_lock read(mu_);
  return uuids_.contains(XXH3_64bits(uuid.data(), uuid.size()));
}

size_t ObservableIndex::copies() const {
  std::shared_lock read(mu_);
  return copies_.size();
}

ObservableIndex::Copy ObservableIndex::copy(uint32_t index) const {
  std::shared_lock read(mu_);
  return copies_.at(index);
}

ObservableIndex::Verdict ObservableIndex::Withheld(
    std::string_view sco_id, std::string_view collection_id, std::string_view supplier,
    const std::function<bool(uint32_t)>& fails) const {
  std::shared_lock read(mu_);
  uint32_t collection = kAnyCollection;
  if (auto it = collections_.find(collection_id);
      !collection_id.empty() && it != collections_.end()) {
    collection = it->second;
  }
  size_t budget = kMaxVisits;
  return WithheldLocked(LowerAscii(sco_id), collection, supplier, fails, 0, &budget);
}

ObservableIndex::Verdict ObservableIndex::WithheldLocked(const std::string& id, uint32_t collection,
                                                         std::string_view supplier,
                                                         const std::function<bool(uint32_t)>& fails,
                                                         int depth, size_t* budget) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) return Verdict::kReleased;
  // Observables naming many that name many more: past this many, fail closed rather than walk
  // a crafted graph for ever.
  if (*budget == 0) return Verdict::kHashesWithheld;
  --*budget;
  const Entry& e = it->second;
  // The collection the reference is in decides when it holds the observable: a partner reading
  // it there receives that copy (or, unmarked, what names it) — another collection's stricter
  // copy protects nothing then. Held nowhere near, any copy that fails withholds.
  // Only the node's own copies count as holding it there: a partner able to write to the
  // collection could otherwise upload candidate values and watch which one lets the reference
  // through.
  // What a partner (or a local organisation's member) supplied is judged by that supplier's own
  // copies alone: the names in it are its own, and judging them by the node's holdings would let
  // a writer name guessed ids and read back which ones the node holds under markings it may not
  // see.
  if (!supplier.empty()) {
    for (const Held& h : e.copies) {
      if (copies_[h.copy].origin == supplier && fails(h.copy)) return Verdict::kMarked;
    }
  }
  const bool here =
      !supplier.empty() || (collection != kAnyCollection &&
                            (unmarked_.contains(UnmarkedKey(collection, id)) ||
                             std::any_of(e.copies.begin(), e.copies.end(), [&](const Held& h) {
                               return h.collection == collection && copies_[h.copy].origin.empty();
                             })));
  for (const Held& h : e.copies) {
    if (!supplier.empty() || (here && h.collection != collection)) continue;
    if (fails(h.copy)) return Verdict::kMarked;
  }
  if (!e.refs.empty() && depth >= kMaxDepth) return Verdict::kHashesWithheld;
  for (const std::string& ref : e.refs) {
    if (WithheldLocked(ref, collection, supplier, fails, depth + 1, budget) != Verdict::kReleased) {
      return Verdict::kHashesWithheld;
    }
  }
  return Verdict::kReleased;
}

}  // namespace ctihub::policy
