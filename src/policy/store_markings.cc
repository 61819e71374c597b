#include <algorithm>

#include "policy/marking_registry.h"

namespace ctihub::policy {

Result<std::shared_ptr<MarkingRegistry>> LoadMarkings(
    store::Store& st, const std::vector<std::string>& trusted_origins,
    std::vector<std::string>* problems) {
  auto registry = std::make_shared<MarkingRegistry>();
  CTI_ASSIGN_OR_RETURN(std::vector<store::Collection> collections, st.ListCollections());
  for (const store::Collection& c : collections) {
    store::Query q;
    q.types = {"marking-definition"};
    q.versions = store::VersionMatch::All();
    q.limit = 10000;
    for (;;) {
      CTI_ASSIGN_OR_RETURN(store::Page page, st.List(c.id, q));
      for (const store::StoredObject& o : page.objects) {
        const bool trusted = o.origin.empty() ||
                             std::find(trusted_origins.begin(), trusted_origins.end(), o.origin) !=
                                 trusted_origins.end();
        Status learned = registry->Learn(o.text, trusted);
        if (!learned.ok() && problems) problems->push_back(std::string(learned.message()));
      }
      if (!page.more) break;
      q.after = page.next;
    }
  }
  return registry;
}

}  // namespace ctihub::policy
