#include "policy/redact.h"

#include <boost/json.hpp>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "stix/json_reader.h"
#include "stix/sco_id.h"
#include "stix/validator.h"

namespace ctihub::policy {
namespace {

namespace json = boost::json;

// One selector component: a property name or a [n] list index.
struct Step {
  bool index = false;
  std::string name;
  size_t position = 0;
};

std::vector<Step> ParseSelector(std::string_view selector) {
  std::vector<Step> steps;
  while (!selector.empty()) {
    size_t dot = selector.find('.');
    std::string_view part = selector.substr(0, dot);
    Step s;
    if (part.size() >= 3 && part.front() == '[' && part.back() == ']') {
      s.index = true;
      std::string_view digits = part.substr(1, part.size() - 2);
      if (std::from_chars(digits.data(), digits.data() + digits.size(), s.position).ec !=
          std::errc()) {
        return {};
      }
    } else {
      s.name = std::string(part);
    }
    steps.push_back(std::move(s));
    selector = dot == std::string_view::npos ? std::string_view() : selector.substr(dot + 1);
  }
  return steps;
}

// The value a selector names, or nullptr.
json::value* Resolve(json::value& root, const std::vector<Step>& steps) {
  json::value* at = &root;
  for (const Step& s : steps) {
    if (s.index) {
      json::array* a = at->if_array();
      if (!a || s.position >= a->size()) return nullptr;
      at = &(*a)[s.position];
    } else {
      json::object* o = at->if_object();
      if (!o) return nullptr;
      auto it = o->find(s.name);
      if (it == o->end()) return nullptr;
      at = &it->value();
    }
  }
  return at;
}

// Cannot occur in STIX content: a JSON string with a NUL.
constexpr char kRemovedText[] = "\0ctihub-redacted\0";
constexpr std::string_view kRemoved{kRemovedText, sizeof(kRemovedText) - 1};

bool IsMarker(const json::value& v) { return v.is_string() && v.as_string() == kRemoved; }

// Takes the markers out. A list emptied by removals goes as well (its property or element):
// STIX forbids empty lists, and an emptied list says nothing anyway. Those go without a selector
// naming them, so their paths (in the original numbering, `path` being v's) are added to
// *emptied_lists (lists and objects): the kept granular markings must be renumbered past them too.
void RemoveMarkers(json::value& v, std::vector<Step>& path,
                   std::vector<std::vector<Step>>* emptied_lists) {
  // A list or an object that removal left empty goes too (an empty `hashes` would leave a file
  // no id to be named by, an emptied extension would make it invalid).
  auto size_of = [](const json::value& child) -> size_t {
    if (child.is_array()) return child.as_array().size();
    if (child.is_object()) return child.as_object().size();
    return 0;
  };
  auto emptied = [&](const json::value& child, size_t before) {
    return before > 0 && (child.is_array() || child.is_object()) && size_of(child) == 0;
  };
  if (json::object* o = v.if_object()) {
    std::vector<std::string> doomed;
    for (auto& [key, child] : *o) {
      if (IsMarker(child)) {
        doomed.emplace_back(key);
        continue;
      }
      size_t before = size_of(child);
      path.push_back(Step{false, std::string(std::string_view(key)), 0});
      RemoveMarkers(child, path, emptied_lists);
      if (emptied(child, before)) {
        doomed.emplace_back(key);
        emptied_lists->push_back(path);
      }
      path.pop_back();
    }
    for (const std::string& key : doomed) o->erase(key);
  } else if (json::array* a = v.if_array()) {
    json::array kept(a->storage());
    size_t i = 0;
    for (json::value& child : *a) {
      const size_t position = i++;
      if (IsMarker(child)) continue;
      size_t before = size_of(child);
      path.push_back(Step{true, {}, position});
      RemoveMarkers(child, path, emptied_lists);
      const bool gone = emptied(child, before);
      if (gone) emptied_lists->push_back(path);
      path.pop_back();
      if (gone) continue;
      kept.push_back(std::move(child));
    }
    *a = std::move(kept);
  }
}

bool SameStep(const Step& a, const Step& b) {
  return a.index == b.index && (a.index ? a.position == b.position : a.name == b.name);
}

// Whether `selector` names something a removed selector took away (it or what holds it).
bool Under(const std::vector<Step>& selector, const std::vector<std::vector<Step>>& removed) {
  for (const std::vector<Step>& r : removed) {
    if (r.size() <= selector.size() && std::equal(r.begin(), r.end(), selector.begin(), SameStep)) {
      return true;
    }
  }
  return false;
}

// `selector` as it reads once the list elements `removed` selects are gone: each index step
// drops by the number of removed elements before it in the same list ("labels.[2]" with
// "labels.[0]" removed is "labels.[1]"). All in the original numbering.
std::string Renumbered(const std::vector<Step>& selector,
                       const std::vector<std::vector<Step>>& removed) {
  std::string out;
  for (size_t j = 0; j < selector.size(); ++j) {
    if (j) out += '.';
    if (!selector[j].index) {
      out += selector[j].name;
      continue;
    }
    size_t before = 0;
    for (const std::vector<Step>& r : removed) {
      if (r.size() != j + 1 || !r[j].index || r[j].position >= selector[j].position) continue;
      if (std::equal(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(j), selector.begin(),
                     SameStep)) {
        ++before;
      }
    }
    out += "[" + std::to_string(selector[j].position - before) + "]";
  }
  return out;
}

// The deterministic id of an SCO's text (§2.9), or nothing when it has none (no contributing
// property present, or not parseable).
std::optional<std::string> DeterministicId(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element element;
  if (parser.parse(text.data(), text.size()).get(element) != simdjson::SUCCESS) return {};
  Result<std::optional<std::string>> id = stix::ComputeScoId(element);
  return id.ok() ? *id : std::nullopt;
}

}  // namespace

Result<Redaction> Redact(std::string_view object_json, const std::vector<std::string>& selectors) {
  // The parsed tree lives in a per-thread buffer (released objects are a few KB): allocating its
  // every key and string from the heap cost more than the redaction itself.
  thread_local std::vector<unsigned char> arena(64 * 1024);
  json::monotonic_resource memory(arena.data(), arena.size());
  json::error_code ec;
  // As deep as the importer accepts (simdjson's 1024 levels): Boost.JSON's default of 32 made
  // a nested custom property a parse error, and the object withheld for it.
  json::parse_options options;
  options.max_depth = 1024;
  json::value root = json::parse(object_json, ec, &memory, options);
  if (ec || !root.is_object()) return InvalidArgument("not a JSON object");
  Redaction out;
  // A marking-definition says what a marking means: with part of it removed it would still
  // carry its id and mean something weaker (a classification without its caveat), to whoever
  // learns it from this copy. It goes whole or not at all.
  if (const json::value* type = root.as_object().if_contains("type");
      !selectors.empty() && type && type->is_string() &&
      type->as_string() == "marking-definition") {
    out.valid = false;
    out.invalid_reason =
        "part of a marking-definition is marked beyond the recipient, and a "
        "marking-definition is not released in part";
    return out;
  }
  std::vector<std::vector<Step>> removed_steps;
  // Each selected value is first replaced by a marker, so that no removal can shift a list
  // index another selector still means; then every marker is taken out of its object or list.
  // A selector under content already selected resolves to nothing and is skipped.
  for (const std::string& selector : selectors) {
    std::vector<Step> steps = ParseSelector(selector);
    if (steps.empty()) continue;
    // A granular marking over the markings themselves: removing them would release the object
    // with a wider label than the one it was judged by (its object_marking_refs gone, or the
    // granular markings that keep other parts back).
    if (!steps[0].index &&
        (steps[0].name == "object_marking_refs" || steps[0].name == "granular_markings")) {
      out.valid = false;
      out.invalid_reason = "a granular marking selects " + steps[0].name +
                           ", and removing markings would widen what the object may reach";
      return out;
    }
    json::value* target = Resolve(root, steps);
    if (!target || (target->is_string() && target->as_string() == kRemoved)) continue;
    *target = kRemoved;
    out.removed.push_back(selector);
    removed_steps.push_back(std::move(steps));
  }
  std::vector<Step> path;
  RemoveMarkers(root, path, &removed_steps);
  // The granular markings that stay point where their content now is: removing a list element
  // moves the ones after it, and a selector left on the old index would mark the wrong value
  // (a GREEN-only label read as unmarked, a public one as SECRET). One whose selectors no longer
  // all point at content would make the object invalid (§7.2.3.1): it goes too; an empty list
  // goes altogether.
  json::object& top = root.as_object();
  if (auto it = top.find("granular_markings"); it != top.end() && it->value().is_array()) {
    json::array kept(root.storage());
    for (json::value& marking : it->value().as_array()) {
      json::object* m = marking.if_object();
      json::value* sel = m ? m->if_contains("selectors") : nullptr;
      if (!sel || !sel->is_array()) continue;
      json::array still(root.storage());
      for (json::value& s : sel->as_array()) {
        const json::string* text = s.if_string();
        std::vector<Step> steps =
            text ? ParseSelector(std::string_view(*text)) : std::vector<Step>{};
        if (steps.empty()) continue;
        // What it marked was removed: this selector goes, the marking's others stay.
        if (Under(steps, removed_steps)) continue;
        std::string now = Renumbered(steps, removed_steps);
        if (!Resolve(root, ParseSelector(now))) {
          // Content it marked cannot be found again (a selector that never resolved, or a move
          // this does not follow): sending it unmarked would widen it.
          out.valid = false;
          out.invalid_reason = "after removal, the granular marking on " + std::string(*text) +
                               " could not be placed again";
          return out;
        }
        still.push_back(json::string(now, root.storage()));
      }
      if (still.empty()) continue;
      *sel = std::move(still);
      kept.push_back(std::move(marking));
    }
    if (kept.empty()) {
      top.erase("granular_markings");
    } else {
      it->value() = std::move(kept);
    }
  }
  out.text = json::serialize(root);
  // An SCO's id is a hash of its id-contributing properties: kept after one was removed, it would
  // let anyone who guesses the removed value confirm it (an IPv4 address takes 2^32 tries). What
  // remains is named by its own content; with nothing left to name it by, it is not released
  // (a random id would change on every read).
  const json::value* type = top.if_contains("type");
  if (!out.removed.empty() && type && type->is_string() &&
      stix::IsStixScoType(std::string_view(type->as_string()))) {
    std::optional<std::string> before = DeterministicId(object_json);
    std::optional<std::string> after = DeterministicId(out.text);
    if (before != after) {
      if (!after) {
        out.valid = false;
        out.invalid_reason = "nothing that names the observable (§2.9) would remain";
        return out;
      }
      top["id"] = *after;
      out.new_id = *after;
      out.text = json::serialize(root);
    }
  }
  // One validator per thread: it is not thread-safe, and building one per object would cost
  // more than the redaction.
  thread_local stix::Validator validator;
  stix::RawObject raw;
  raw.text = out.text;
  std::string first_error;
  size_t errors = validator.ValidateObject(raw, [&](const stix::Finding& f) {
    if (f.severity == stix::Severity::kError && first_error.empty()) {
      first_error = f.message + " [" + f.rule + "]";
    }
  });
  out.valid = errors == 0;
  out.invalid_reason = std::move(first_error);
  return out;
}

}  // namespace ctihub::policy
