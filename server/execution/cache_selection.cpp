#include "server/execution/cache_selection.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iomanip>
#include <map>
#include <sstream>

#include "server/core/node_id.h"

namespace fastest {
namespace {

std::string module_of(const std::string& id) { return id.substr(0, id.find("::")); }

bool failed_in(const CacheValue& lastfailed, const std::string& id) { return lastfailed.contains(id); }

// Python's str(timedelta(seconds=n)): "0:00:05", "1 day, 2:03:04".
std::string timedelta_text(long long seconds) {
  long long days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  long long rest = seconds - days * 86400;
  char clock[32];
  std::snprintf(clock, sizeof clock, "%lld:%02lld:%02lld", rest / 3600, rest / 60 % 60, rest % 60);
  if (days == 0) return clock;
  return std::to_string(days) + (days == 1 || days == -1 ? " day, " : " days, ") + clock;
}

// datetime.fromisoformat of what pytest wrote (naive local time).
std::optional<std::chrono::system_clock::time_point> parse_isoformat(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return std::nullopt;
  tm.tm_isdst = -1;
  std::time_t t = std::mktime(&tm);
  if (t == -1) return std::nullopt;
  auto point = std::chrono::system_clock::from_time_t(t);
  if (in.peek() == '.') {
    in.get();
    std::string digits;
    while (std::isdigit(in.peek())) digits += static_cast<char>(in.get());
    digits = (digits + "000000").substr(0, 6);
    point += std::chrono::microseconds(std::stol(digits));
  }
  return point;
}

// A module's own item (a function or its cases), not one inside a class: pytest's --lf filter
// sees a module's children, where a class is a collector it keeps whole.
bool module_level(const std::string& id) { return id.find("::") == id.rfind("::"); }

// --lf at collection time (LFPluginCollWrapper). Files holding a known failure are collected
// first (pytest sorts them first in each folder). A file is filtered once a module-level failure
// was seen in it or an earlier one: it keeps its failures, its classes' tests whole, and every
// test when it was named on the command line; until then files are collected whole. After it,
// files without a known failure are skipped ("skipped N files").
std::vector<std::string> collect_last_failed(const CacheSelectionInput& in, const CacheValue& lastfailed,
                                             size_t& skipped_files) {
  std::set<std::string> lf_files;
  for (auto it = lastfailed.begin(); it != lastfailed.end(); ++it)
    if (!in.exists || in.exists(module_of(it.key()))) lf_files.insert(module_of(it.key()));
  std::vector<std::string> modules;
  std::map<std::string, std::vector<std::string>> items_of;
  for (const std::string& id : in.collected) {
    std::string module = module_of(id);
    if (!items_of.count(module)) modules.push_back(module);
    items_of[module].push_back(id);
  }
  std::stable_partition(modules.begin(), modules.end(), [&](const std::string& m) { return lf_files.count(m) > 0; });
  bool found = false;
  std::vector<std::string> out;
  for (const std::string& module : modules) {
    const std::vector<std::string>& items = items_of[module];
    if (!lf_files.count(module)) {
      if (!found) out.insert(out.end(), items.begin(), items.end());
      continue;
    }
    bool has_failure = std::any_of(items.begin(), items.end(), [&](const std::string& id) {
      return module_level(id) && failed_in(lastfailed, id);
    });
    if (!found && !has_failure) {
      out.insert(out.end(), items.begin(), items.end());
      continue;
    }
    found = true;
    for (const std::string& id : items)
      if (!module_level(id) || failed_in(lastfailed, id) || in.initial_files.count(module)) out.push_back(id);
  }
  if (found)
    for (const std::string& module : in.modules) skipped_files += !lf_files.count(module);
  return out;
}

// StepwisePlugin.pytest_collection_modifyitems.
void apply_stepwise(std::vector<std::string>& items, std::vector<std::string>& deselected, const CacheOptions& options,
                    StepwiseState& state, std::chrono::system_clock::time_point now, std::vector<std::string>& lines) {
  std::vector<std::string> status;
  if (!state.error.empty()) status.push_back(state.error);
  std::optional<size_t> last_count = state.last_test_count;
  state.last_test_count = items.size();
  if (options.stepwise_reset) {
    status.push_back("resetting state, not skipping.");
    state.last_failed.reset();
  } else if (!state.last_failed) {
    status.push_back("no previously failed tests, not skipping.");
  } else if (last_count && *last_count != items.size()) {
    status.push_back("test count changed, not skipping (now " + std::to_string(items.size()) + " tests, previously " +
                     std::to_string(*last_count) + ").");
    state.last_failed.reset();
  } else {
    auto at = std::find(items.begin(), items.end(), *state.last_failed);
    if (at == items.end()) {
      status.push_back("previously failed test not found, not skipping.");
    } else {
      long long age = 0;
      if (auto then = parse_isoformat(state.date))
        age = std::chrono::duration_cast<std::chrono::seconds>(now - *then).count();
      size_t index = at - items.begin();
      status.push_back("skipping " + std::to_string(index) + " already passed items (cache from " +
                       timedelta_text(age) + " ago, use --sw-reset to discard).");
      deselected.insert(deselected.end(), items.begin(), at);
      items.erase(items.begin(), at);
    }
  }
  for (const std::string& s : status) lines.push_back("stepwise: " + s);
}

// --nf (NFPlugin): tests pytest has not seen first, then the rest; each part newest file first.
// Returns how many tests are new (they come first).
size_t apply_new_first(std::vector<std::string>& items, const CacheSelectionInput& in, const std::set<std::string>& known) {
  std::map<std::string, double> mtimes;
  auto mtime = [&](const std::string& id) {
    std::string module = module_of(id);
    auto [it, fresh] = mtimes.try_emplace(module, 0.0);
    if (fresh && in.mtime) it->second = in.mtime(module);
    return it->second;
  };
  std::vector<std::string> fresh, seen;
  for (const std::string& id : items) (known.count(id) ? seen : fresh).push_back(id);
  auto newest_first = [&](const std::string& a, const std::string& b) { return mtime(a) > mtime(b); };
  std::stable_sort(fresh.begin(), fresh.end(), newest_first);
  std::stable_sort(seen.begin(), seen.end(), newest_first);
  const size_t new_tests = fresh.size();
  items = std::move(fresh);
  items.insert(items.end(), seen.begin(), seen.end());
  return new_tests;
}

}  // namespace

StepwiseState StepwiseState::from_cache(const std::optional<CacheValue>& value) {
  StepwiseState state;
  if (!value || value->is_null() || (value->is_object() && value->empty()) || (value->is_array() && value->empty()))
    return state;
  if (!value->is_object()) {
    state.error = "error reading cache, discarding (TypeError: list indices must be integers or slices, not str)";
    return state;
  }
  for (const char* key : {"last_failed", "last_test_count", "last_cache_date_str"})
    if (!value->contains(key)) {
      state.error = std::string("error reading cache, discarding (KeyError: '") + key + "')";
      return state;
    }
  const CacheValue& v = *value;
  if (v["last_failed"].is_string()) state.last_failed = v["last_failed"].get<std::string>();
  if (v["last_test_count"].is_number_integer()) state.last_test_count = v["last_test_count"].get<size_t>();
  if (v["last_cache_date_str"].is_string()) state.date = v["last_cache_date_str"].get<std::string>();
  return state;
}

CacheValue StepwiseState::to_cache() const {
  CacheValue v = CacheValue::object();
  v["last_failed"] = last_failed ? CacheValue(*last_failed) : CacheValue(nullptr);
  v["last_test_count"] = last_test_count ? CacheValue(*last_test_count) : CacheValue(nullptr);
  v["last_cache_date_str"] = date;
  return v;
}

std::string python_isoformat(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  long long micros =
      std::chrono::duration_cast<std::chrono::microseconds>(t - std::chrono::system_clock::from_time_t(seconds)).count();
  if (micros < 0) micros += 1000000, --seconds;
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = text;
  if (micros) {
    char frac[24];  // room for any long long: the compiler cannot know micros < 10^6
    std::snprintf(frac, sizeof frac, ".%06lld", micros);
    out += frac;
  }
  return out;
}

CacheSelection select_with_cache(const CacheSelectionInput& in, const CacheOptions& options, CacheValue& lastfailed,
                                 const std::set<std::string>& known_ids, StepwiseState& stepwise,
                                 std::chrono::system_clock::time_point now) {
  CacheSelection out;
  // A module that failed to collect before and imports now stands for every test in it
  // (LFPlugin.pytest_collectreport), so they all count as failed.
  for (const std::string& module : in.modules)
    if (lastfailed.contains(module) && !in.failing_modules.count(module)) {
      lastfailed.erase(module);
      for (const std::string& id : in.collected)
        if (module_of(id) == module) lastfailed[id] = true;
    }

  size_t skipped_files = 0;
  std::vector<std::string> items =
      options.last_failed && !lastfailed.empty() ? collect_last_failed(in, lastfailed, skipped_files) : in.collected;
  out.collected = items.size();
  std::vector<std::string> stepwise_lines;
  if (options.stepwise) apply_stepwise(items, out.deselected, options, stepwise, now, stepwise_lines);
  std::vector<std::string> kept;
  for (std::string& id : items) (in.deselected.count(id) ? out.deselected : kept).push_back(std::move(id));
  items = std::move(kept);

  if (options.last_failed || options.failed_first) {
    std::string status;
    if (!lastfailed.empty()) {
      std::vector<std::string> failed, passed;
      for (std::string& id : items) (failed_in(lastfailed, id) ? failed : passed).push_back(std::move(id));
      if (failed.empty()) {
        status = std::to_string(lastfailed.size()) + " known failures not in selected tests";
        items = std::move(passed);
      } else {
        size_t n = failed.size();
        status = "rerun previous " + std::to_string(n) + (n == 1 ? " failure" : " failures") +
                 (options.failed_first ? " first" : "");
        items = std::move(failed);
        if (options.last_failed) out.deselected.insert(out.deselected.end(), passed.begin(), passed.end());
        else items.insert(items.end(), passed.begin(), passed.end());
        if (options.failed_first && !options.last_failed) out.run_first = n;
      }
      if (skipped_files) status += " (skipped " + std::to_string(skipped_files) + (skipped_files == 1 ? " file)" : " files)");
    } else if (options.no_failures == "none") {
      status = "no previously failed tests, deselecting all items.";
      out.deselected.insert(out.deselected.end(), items.begin(), items.end());
      items.clear();
    } else {
      status = "no previously failed tests, not deselecting items.";
    }
    out.report_lines.push_back("run-last-failure: " + status);
  }
  if (options.new_first) out.run_first = apply_new_first(items, in, known_ids);
  out.report_lines.insert(out.report_lines.end(), stepwise_lines.begin(), stepwise_lines.end());
  out.selected = std::move(items);
  return out;
}

void record_last_failed(CacheValue& lastfailed, const std::vector<RanTest>& ran,
                        const std::vector<std::string>& collection_errors) {
  for (const std::string& module : collection_errors) lastfailed[module] = true;
  // A module that failed to collect before and collects now (its tests ran) leaves the record,
  // as LFPlugin.pytest_collectreport pops it; its tests' own outcomes then say what failed.
  // (pytest also marks the module's tests that did not run as failed; none ran here.)
  const std::set<std::string> failing(collection_errors.begin(), collection_errors.end());
  for (const RanTest& r : ran)
    if (std::string module = module_of(r.id); module != r.id && !failing.count(module)) lastfailed.erase(module);
  for (const RanTest& r : ran) {
    if (is_failure(r.outcome)) lastfailed[r.id] = true;
    else lastfailed.erase(r.id);  // a passed call, a skip, an xfail
  }
}

PlannedOrder::PlannedOrder(const std::vector<std::string>& planned) {
  for (size_t i = 0; i < planned.size(); ++i) position_.emplace(planned[i], i);
}

std::optional<size_t> PlannedOrder::of(std::string id) const {
  while (!id.empty()) {
    if (auto it = position_.find(id); it != position_.end()) return it->second;
    size_t bracket = id.rfind('['), colons = id.rfind("::");
    size_t cut = std::max(bracket == std::string::npos ? 0 : bracket, colons == std::string::npos ? 0 : colons);
    if (cut == 0) break;
    id.resize(cut);
  }
  return std::nullopt;
}

bool record_stepwise(StepwiseState& stepwise, const CacheOptions& options, const std::vector<std::string>& planned,
                     const std::vector<RanTest>& results_in_order, bool stopped) {
  PlannedOrder order(planned);
  auto planned_index = [&](const std::string& id) { return order.of(id); };
  std::vector<bool> reached(planned.size(), false);
  for (const RanTest& r : results_in_order)
    if (auto i = planned_index(r.id)) reached[*i] = true;

  bool skip = options.stepwise_skip;
  size_t next_planned = 0;
  auto first_gap_before = [&](std::optional<size_t> limit) -> std::optional<std::string> {
    if (!stopped) return std::nullopt;
    for (; next_planned < planned.size() && (!limit || next_planned < *limit); ++next_planned)
      if (!reached[next_planned]) return planned[next_planned];
    return std::nullopt;
  };
  for (const RanTest& r : results_in_order) {
    std::optional<size_t> at = planned_index(r.id);
    if (auto gap = first_gap_before(at)) {  // an earlier test never ran: resume there
      stepwise.last_failed = *gap;
      return true;
    }
    if (is_failure(r.outcome)) {
      if (skip) {
        if (stepwise.last_failed == r.id) stepwise.last_failed.reset();
        skip = false;
        continue;
      }
      stepwise.last_failed = r.id;
      return true;
    }
    if (stepwise.last_failed == r.id) stepwise.last_failed.reset();
  }
  if (auto gap = first_gap_before(std::nullopt)) {
    stepwise.last_failed = *gap;
    return true;
  }
  return false;
}

}  // namespace fastest
