// Values of installed modules (the standard library, site-packages) as a real import gives
// them: `np.float64` is a class named "float64", `np.typecodes["Float"]` is "efdg". No rule can
// know them from source; the interpreter pytest runs under answers them once per environment
// (server/execution/library_facts_store.*, worker/fastest_worker/library_facts.py), and
// discovery reads the answers like any other value. A fact not asked yet is recorded, and the
// caller asks and collects again; until then the value is unknown (the test stays dynamic).
#pragma once

#include <optional>
#include <string>

#include "server/discovery/static_value.h"

namespace fastest {

class LibraryFacts {
 public:
  virtual ~LibraryFacts() = default;
  // The value the import `statement` ("import numpy", "import os.path as _", "from math import
  // pi") binds, after the steps of `chain` (LibraryPath::chain: attributes read, calls made).
  // `origin`: the file (canonical) pytest's import path loads the statement's top module from,
  // or "" when not certain: the answer counts only when the interpreter imported that very file
  // (or a builtin module). Nullopt: not asked yet (noted for the next ask); Unknown: asked, and
  // not an installed module's plain value.
  virtual std::optional<StaticValue> value(const std::string& statement, const std::string& chain,
                                           const std::string& origin) const = 0;
};

}  // namespace fastest
