#include "policy/observable_index.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <unordered_set>
#include <utility>

#include "stix/sco_id.h"

namespace ctihub::policy {
namespace {

// STIX 2.1 §6: the types whose ids §2.9 derives from their values.
constexpr std::string_view kObservableTypes[] = {"artifact",
                                                 "autonomous-system",
                                                 "directory",
                                                 "domain-name",
                                                 "email-addr",
                                                 "email-message",
                                                 "file",
                                                 "ipv4-addr",
                                                 "ipv6-addr",
                                                 "mac-addr",
                                                 "mutex",
                                                 "network-traffic",
                                                 "process",
                                                 "software",
                                                 "url",
                                                 "user-account",
                                                 "windows-registry-key",
                                                 "x509-certificate"};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The type of a reference ("ipv4-addr" of "ipv4-addr--…"), lower case; empty when it is none.
std::string ReferenceType(std::string_view ref) {
  size_t dashes = ref.find("--");
  if (dashes == std::string_view::npos || dashes == 0) return {};
  return Lower(ref.substr(0, dashes));
}

// Whether an ID Contributing Property of `type` can hold a reference (network-traffic's
// src_ref, file's parent_directory_ref, email-message's from_ref, extensions).
bool HashesReferences(std::string_view type) {
  const std::vector<std::string_view>* properties = stix::IdContributingProperties(type);
  if (!properties) return false;
  return std::any_of(properties->begin(), properties->end(), [](std::string_view p) {
    return p == "extensions" || p.ends_with("_ref") || p.ends_with("_refs");
  });
}

bool EndsWith(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

void Walk(simdjson::dom::element e, std::string& path, std::vector<ObservableReference>* out) {
  auto add = [&](std::string_view ref, const std::string& selector) {
    if (stix::IsStixScoType(ReferenceType(ref))) out->push_back({Lower(ref), selector});
  };
  auto join = [&](std::string_view step) {
    return path.empty() ? std::string(step) : path + "." + std::string(step);
  };
  simdjson::dom::object object;
  simdjson::dom::array array;
  if (e.get_object().get(object) == simdjson::SUCCESS) {
    for (auto [key, value] : object) {
      // A selector cannot name a key with a dot in it (§7.2.3.1 splits on dots): such a place
      // gets an empty selector, which the caller cannot remove and so must withhold.
      const bool nameable = key.find('.') == std::string_view::npos && !key.empty();
      std::string here = nameable ? join(key) : std::string();
      std::string_view text;
      simdjson::dom::array list;
      if (EndsWith(key, "_ref") && value.get_string().get(text) == simdjson::SUCCESS) {
        add(text, here);
        continue;
      }
      if (EndsWith(key, "_refs") && value.get_array().get(list) == simdjson::SUCCESS) {
        size_t i = 0;
        for (simdjson::dom::element member : list) {
          if (member.get_string().get(text) == simdjson::SUCCESS) {
            add(text, nameable ? here + ".[" + std::to_string(i) + "]" : std::string());
          }
          ++i;
        }
      }
      std::string saved = std::exchange(path, here);
      if (!nameable) path = "\x01";  // below an unnameable key, nothing is nameable
      Walk(value, path, out);
      path = std::move(saved);
    }
  } else if (e.get_array().get(array) == simdjson::SUCCESS) {
    size_t i = 0;
    for (simdjson::dom::element member : array) {
      std::string saved = path;
      path = path.empty() ? "[" + std::to_string(i) + "]" : path + ".[" + std::to_string(i) + "]";
      Walk(member, path, out);
      path = std::move(saved);
      ++i;
    }
  }
}

}  // namespace

bool MayNameObservables(std::string_view text) {
  // A \u escape may spell any of it. (memchr: glibc's memmem was a third of this function.)
  for (const char* at = text.data(); at < text.data() + text.size();) {
    const void* hit = std::memchr(at, '\\', static_cast<size_t>(text.data() + text.size() - at));
    if (hit == nullptr) break;
    const char* slash = static_cast<const char*>(hit);
    if (slash + 1 < text.data() + text.size() && slash[1] == 'u') return true;
    at = slash + 2;
  }
  // Every "--" (ids of every kind have one), and the type before it, compared without
  // allocating: this runs on every object a restricted recipient is served.
  const char* begin = text.data();
  const char* end = begin + text.size();
  for (const char* at = begin; at + 1 < end;) {
    const void* hit = std::memchr(at, '-', static_cast<size_t>(end - at - 1));
    if (hit == nullptr) return false;
    const char* dash = static_cast<const char*>(hit);
    if (dash[1] != '-') {
      at = dash + 1;
      continue;
    }
    const char* start = dash;
    auto in_type = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    };
    while (start > begin && in_type(start[-1]) && dash - start < 24) --start;
    const std::string_view written(start, static_cast<size_t>(dash - start));
    for (std::string_view type : kObservableTypes) {
      if (type.size() == written.size() &&
          std::equal(type.begin(), type.end(), written.begin(), [](char t, char w) {
            return t == (w >= 'A' && w <= 'Z' ? static_cast<char>(w - 'A' + 'a') : w);
          })) {
        return true;
      }
    }
    at = dash + 2;
  }
  return false;
}

std::vector<ObservableReference> ObservableReferences(std::string_view object_json) {
  std::vector<ObservableReference> out;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(object_json.data(), object_json.size()).get(root) != simdjson::SUCCESS) {
    return out;
  }
  std::string path;
  Walk(root, path, &out);
  for (ObservableReference& r : out) {
    if (r.selector.find('\x01') != std::string::npos) r.selector.clear();
  }
  return out;
}

Status ObservableIndex::Refresh(store::Store& st) {
  std::lock_guard serial(refresh_mu_);
  CTI_ASSIGN_OR_RETURN(std::vector<store::Collection> collections, st.ListCollections());
  for (const store::Collection& c : collections) {
    int64_t since = 0;
    {
      std::shared_lock read(mu_);
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
        // Rows stored before the store recorded granular markings: their text says.
        for (store::StoredObject& o : page.objects) {
          if (o.granular_known || !o.text.empty()) continue;
          CTI_ASSIGN_OR_RETURN(std::vector<store::StoredObject> full,
                               st.Get(c.id, o.id, store::VersionMatch::All()));
          if (!full.empty()) o.text = std::move(full.front().text);
        }
        std::unique_lock write(mu_);
        bool learned = false;
        for (const store::StoredObject& o : page.objects) {
          until = std::max(until, o.date_added.micros());
          learned = LearnLocked(o) || learned;
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

void ObservableIndex::Learn(const store::StoredObject& object) {
  std::unique_lock write(mu_);
  LearnLocked(object);
  ++generation_;
}

bool ObservableIndex::LearnLocked(const store::StoredObject& object) {
  Copy copy;
  copy.markings = object.markings;
  if (object.granular_known) {
    copy.granular = object.granular_refs;
  } else if (!object.text.empty()) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    simdjson::dom::array granular;
    if (parser.parse(object.text).get(root) == simdjson::SUCCESS &&
        root["granular_markings"].get_array().get(granular) == simdjson::SUCCESS) {
      for (simdjson::dom::element g : granular) {
        std::string_view ref;
        if (g["marking_ref"].get_string().get(ref) == simdjson::SUCCESS) {
          copy.granular.emplace_back(ref);
        }
      }
    }
  }
  std::sort(copy.granular.begin(), copy.granular.end());
  copy.granular.erase(std::unique(copy.granular.begin(), copy.granular.end()), copy.granular.end());
  // The observables its id hashes (those named in its ID Contributing Properties, §2.9: a
  // network-traffic's src_ref and dst_ref, an email-message's from_ref, whatever its extensions
  // name, …): a reference to it gives theirs away too. Others (encapsulates_refs, to_refs) do
  // not, and go or stay when it is released itself.
  std::vector<std::string> refs;
  const std::string id = Lower(object.id);
  const std::vector<std::string_view>* contributing = stix::IdContributingProperties(object.type);
  if (contributing && MayNameObservables(object.text)) {
    for (ObservableReference& r : ObservableReferences(object.text)) {
      const std::string_view top = std::string_view(r.selector).substr(0, r.selector.find('.'));
      const bool hashed =
          r.selector.empty() ||  // unnameable: counted, to fail closed
          std::find(contributing->begin(), contributing->end(), top) != contributing->end();
      if (hashed && r.id != id) refs.push_back(std::move(r.id));
    }
  }
  const bool marked = !copy.markings.empty() || !copy.granular.empty();
  if (!marked && refs.empty()) return false;
  Entry& entry = entries_[id];
  if (marked) {
    copy.created_by = object.created_by;
    copy.origin = object.origin;
    auto [it, added] = copy_index_.try_emplace(copy, static_cast<uint32_t>(copies_.size()));
    if (added) copies_.push_back(copy);
    if (std::find(entry.copies.begin(), entry.copies.end(), it->second) == entry.copies.end()) {
      entry.copies.push_back(it->second);
    }
  }
  for (std::string& r : refs) {
    if (std::find(entry.refs.begin(), entry.refs.end(), r) == entry.refs.end()) {
      entry.refs.push_back(std::move(r));
    }
  }
  return true;
}

size_t ObservableIndex::copies() const {
  std::shared_lock read(mu_);
  return copies_.size();
}

ObservableIndex::Copy ObservableIndex::copy(uint32_t index) const {
  std::shared_lock read(mu_);
  return copies_.at(index);
}

bool ObservableIndex::Withheld(std::string_view sco_id,
                               const std::function<bool(uint32_t)>& fails) const {
  std::shared_lock read(mu_);
  size_t budget = kMaxVisits;
  return WithheldLocked(Lower(sco_id), fails, 0, &budget);
}

bool ObservableIndex::WithheldLocked(const std::string& id,
                                     const std::function<bool(uint32_t)>& fails, int depth,
                                     size_t* budget) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  // Observables naming many that name many more: past this many, fail closed rather than walk
  // a crafted graph for ever.
  if (*budget == 0) return true;
  --*budget;
  const Entry& e = it->second;
  for (uint32_t c : e.copies) {
    if (fails(c)) return true;
  }
  if (!e.refs.empty() && depth >= kMaxDepth) return true;  // a chain this deep: fail closed
  for (const std::string& ref : e.refs) {
    if (WithheldLocked(ref, fails, depth + 1, budget)) return true;
  }
  return false;
}

}  // namespace ctihub::policy
