#include "server/execution/library_facts_store.h"

#include <unistd.h>

#include <charconv>
#include <fstream>

#include "server/core/cache_file.h"
#include "server/core/file_text.h"
#include "server/execution/python_module_process.h"
#include "server/execution/settled_cache.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace fastest {
namespace {

constexpr int kFormat = 1;  // bump when the answer's shape changes
// Rounds of asking in one collection: each answers one more step of chains that read answers.
constexpr int kMaxRounds = 10;

using Kind = StaticValue::Kind;

StaticValue unknown(std::string why) {
  StaticValue v;
  v.why = std::move(why);
  return v;
}

std::u32string utf32(const std::string& utf8) {
  std::u32string out;
  for (size_t i = 0; i < utf8.size();) {
    const unsigned char c = utf8[i];
    const int extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    char32_t cp = extra == 0 ? c : extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k <= extra && i + k < utf8.size(); ++k) cp = (cp << 6) | (utf8[i + k] & 0x3F);
    out.push_back(cp);
    i += extra + 1;
  }
  return out;
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    unsigned value = 0;
    std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16);
    out.push_back(static_cast<char>(value));
  }
  return out;
}

// One answered value (worker/fastest_worker/library_facts.py's `describe`), decoded once.
StaticValue decode(const json& j) {
  if (!j.is_object()) return unknown("an answer of an unknown shape");
  const std::string t = j.value("t", "");
  StaticValue v;
  auto text = [&](const char* field) { return j.value(field, std::string()); };
  if (t == "none") { v.kind = Kind::None; v.text = "None"; return v; }
  if (t == "bool") {
    v.kind = Kind::Bool;
    v.exact = true;
    v.integer = j.value("v", false) ? 1 : 0;
    v.text = v.integer ? "True" : "False";
    return v;
  }
  if (t == "int") {
    v.kind = Kind::Int;
    v.text = text("v");
    long long n = 0;
    auto [end, error] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), n);
    v.exact = error == std::errc() && end == v.text.data() + v.text.size();
    v.integer = v.exact ? n : 0;
    return v;
  }
  if (t == "float") { v.kind = Kind::Float; v.text = text("s"); return v; }
  if (t == "complex") { v.kind = Kind::Complex; v.text = text("s"); return v; }
  if (t == "str") { v.kind = Kind::Str; v.chars = utf32(text("v")); return v; }
  if (t == "bytes") { v.kind = Kind::Bytes; v.text = from_hex(text("hex")); return v; }
  if (t == "tuple" || t == "list" || t == "dict") {
    v.kind = t == "tuple" ? Kind::Tuple : t == "list" ? Kind::List : Kind::Dict;
    const json items = j.value("items", json::array());
    for (const json& item : items) {
      StaticValue element = decode(item);
      // An element not known makes the whole container unknown: it is iterated as a whole.
      if (!element.known()) return unknown("an element: " + element.why);
      v.items.push_back(std::move(element));
    }
    return v;
  }
  if (t == "module") { v.kind = Kind::Module; v.text = text("name"); return v; }
  if (t == "named") { v.kind = Kind::Named; v.text = text("name"); return v; }
  if (t == "object") {
    v.kind = Kind::Object;
    if (auto elements = j.find("elements"); elements != j.end() && elements->is_array()) {
      for (const json& item : *elements) {
        StaticValue element = decode(item);
        if (!element.known()) return unknown("an element: " + element.why);
        v.items.push_back(std::move(element));
      }
      v.iterable = true;
    }
    return v;
  }
  if (t == "id") {
    // What pytest's id shows of a value that is not a plain builtin one (np.float64(1.5), an
    // enum member, a str subclass): nothing else of it is known.
    StaticValue shown;
    const std::string as = text("as");
    if (as == "str") { shown.kind = Kind::Str; shown.chars = utf32(text("v")); }
    else if (as == "bytes") { shown.kind = Kind::Bytes; shown.text = from_hex(text("hex")); }
    else { shown.kind = Kind::Named; shown.text = text("s"); }
    v.kind = Kind::EnumMember;
    v.text = shown.kind == Kind::Named ? shown.text : std::string();
    v.items.push_back(std::move(shown));
    return v;
  }
  return unknown(j.value("why", std::string("not a value discovery can use")));
}


}  // namespace

LibraryFactsStore::LibraryFactsStore(fs::path python, fs::path rootdir, fs::path cwd)
    : python_(std::move(python)), rootdir_(std::move(rootdir)), cwd_(std::move(cwd)) {
  file_ = rootdir_ / ".fastest_cache" / "library-facts" / (hex64(std::hash<std::string>{}(python_.string())) + ".json");
  key_ = environment_key(python_, rootdir_, std::nullopt, {}).text();
  auto text = read_file_if_readable(file_);
  if (!text) return;
  json stored = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!stored.is_object() || stored.value("format", 0) != kFormat || stored.value("key", std::string()) != key_) return;
  merge(stored);
}

void LibraryFactsStore::merge(const json& answer) {
  if (auto it = answer.find("statements"); it != answer.end() && it->is_object())
    for (const auto& [statement, fact] : it->items()) {
      if (!fact.is_object()) continue;
      Statement& s = statements_[statement];
      s.where = fact.value("where", std::string("error"));
      s.origin = fact.value("origin", std::string());
      s.why = fact.value("why", std::string());
      answered_["statement " + statement] = fact;
    }
  if (auto it = answer.find("values"); it != answer.end() && it->is_object())
    for (const auto& [key, value] : it->items()) {
      values_[key] = decode(value);
      answered_["value " + key] = value;
    }
}

std::optional<StaticValue> LibraryFactsStore::value(const std::string& statement, const std::string& chain,
                                                    const std::string& origin) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string key = statement + "|" + chain;
  auto s = statements_.find(statement);
  if (s == statements_.end()) {
    if (unanswerable_.count(key)) return unknown("the interpreter gave no answer");
    questions_[statement].insert(chain);
    return std::nullopt;
  }
  const Statement& st = s->second;
  if (st.where == "error") return unknown("importing it fails: " + st.why);
  if (st.where != "builtin" && st.where != "stdlib" && st.where != "site")
    return unknown("not an installed module (" + st.origin + ")");
  // The interpreter's module must be the one pytest's import path loads.
  // `origin` is canonical already (ModuleLookup::top_module_file), as the interpreter's is.
  if (st.where != "builtin" && (origin.empty() || origin != st.origin))
    return unknown("the interpreter imports it from " + st.origin + ", pytest's import path may load " +
                   (origin.empty() ? std::string("another") : origin));
  auto v = values_.find(key);
  if (v == values_.end()) {
    if (unanswerable_.count(key)) return unknown("the interpreter gave no answer");
    questions_[statement].insert(chain);
    return std::nullopt;
  }
  return v->second;
}

bool LibraryFactsStore::has_questions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !questions_.empty();
}

bool LibraryFactsStore::ask(std::string* why, const std::atomic<bool>* cancel) {
  std::map<std::string, std::set<std::string>> questions;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    questions.swap(questions_);
  }
  if (questions.empty()) return true;
  json request = json::object();
  for (const auto& [statement, chains] : questions) request[statement] = chains;
  // The key the answers are kept with describes the environment as the interpreter is asked:
  // taken after the cache folder exists (creating it may touch a folder the key stats: a
  // rootdir that is site-packages).
  make_cache_folder(file_.parent_path());
  key_ = environment_key(python_, rootdir_, std::nullopt, {}).text();
  // Files, not pipes: what an imported library prints is not the answer.
  const fs::path dir = fs::temp_directory_path();
  const std::string stem = "fastest-library-facts-" + std::to_string(::getpid()) + "-" +
                           hex64(std::hash<std::string>{}(request.dump()));
  const fs::path request_file = dir / (stem + ".request.json"), answer_file = dir / (stem + ".answer.json");
  bool ok = write_file_atomically(request_file, request.dump());
  bool started = false;  // the interpreter ran: a failure is its answer, kept (not asked again)
  std::string error;
  if (ok) {
    // Started in a neutral folder (not the project's files on sys.path: pytest's import path
    // decides those, and the origin check compares them), working in pytest's cwd.
    auto process = PythonModuleProcess::start(python_, "fastest_worker.library_facts",
                                              {request_file.string(), answer_file.string(), cwd_.string()}, dir, {},
                                              &error);
    ok = started = process != nullptr;
    if (process) {
      PythonModuleOutput output = process->wait(cancel);
      if (output.cancelled) {
        // Not the interpreter's answer: nothing is kept, the next collection asks again.
        std::error_code ec;
        fs::remove(request_file, ec);
        fs::remove(answer_file, ec);
        if (why) *why = "cancelled";
        return false;
      }
      if (output.exit_code != 0) {
        ok = false;
        error = "exit code " + std::to_string(output.exit_code) + ": " + output.err.substr(0, 2000);
      }
    }
  }
  json answer;
  if (ok) {
    auto text = read_file_if_readable(answer_file);
    answer = text ? json::parse(*text, nullptr, /*allow_exceptions=*/false) : json();
    if (!answer.is_object()) {
      ok = false;
      error = "the answer could not be read";
    }
  }
  std::error_code ec;
  fs::remove(request_file, ec);
  fs::remove(answer_file, ec);
  std::lock_guard<std::mutex> lock(mutex_);
  if (ok) merge(answer);
  if (!ok && started) {
    // The interpreter crashed, hung (its watchdog ended it) or printed no answer: what it was
    // asked stays unknown, and is kept so, or every run would wait for it again.
    const std::string reason = "the interpreter gave no answer (" + error.substr(0, 300) + ")";
    for (const auto& [statement, chains] : questions) {
      if (!statements_.count(statement)) {
        const json failed = {{"where", "error"}, {"origin", ""}, {"why", reason}};
        statements_[statement] = Statement{"error", "", reason};
        answered_["statement " + statement] = failed;
        continue;
      }
      for (const std::string& chain : chains) {
        const json unknown_answer = {{"t", "unknown"}, {"why", reason}};
        values_[statement + "|" + chain] = decode(unknown_answer);
        answered_["value " + statement + "|" + chain] = unknown_answer;
      }
    }
  }
  // Whatever is still not answered is not asked again by this process.
  for (const auto& [statement, chains] : questions)
    for (const std::string& chain : chains)
      if (!statements_.count(statement) || (!values_.count(statement + "|" + chain) && statements_[statement].where != "error"))
        unanswerable_.insert(statement + "|" + chain);
  if (started) save();
  if (!ok && why) *why = error;
  return ok;
}

void LibraryFactsStore::give_up_questions() {
  std::lock_guard<std::mutex> lock(mutex_);
  bool gave_up = false;
  for (const auto& [statement, chains] : questions_) {
    if (!statements_.count(statement)) continue;  // a statement never asked: asked next time
    for (const std::string& chain : chains) {
      const json unknown_answer = {{"t", "unknown"}, {"why", "reached through too many rounds of answers; not asked"}};
      values_[statement + "|" + chain] = decode(unknown_answer);
      answered_["value " + statement + "|" + chain] = unknown_answer;
      gave_up = true;
    }
  }
  questions_.clear();
  if (gave_up) save();
}

void LibraryFactsStore::save() const {
  json stored = {{"format", kFormat}, {"key", key_}, {"statements", json::object()}, {"values", json::object()}};
  for (const auto& [name, value] : answered_) {
    if (name.rfind("statement ", 0) == 0) stored["statements"][name.substr(10)] = value;
    else stored["values"][name.substr(6)] = value;
  }
  write_file_atomically(file_, stored.dump());
}

Collection collect_with_library_facts(Invocation inv) {
  std::shared_ptr<LibraryFactsStore> store;
  inv.library_facts = [&store, &inv](const fs::path& python, const fs::path& rootdir) {
    if (!store) store = std::make_shared<LibraryFactsStore>(python, rootdir, fs::absolute(inv.invocation_dir));
    return std::static_pointer_cast<const LibraryFacts>(store);
  };
  Collection c = collect(inv);
  // An answer may lead to new questions (`np.dtype("f8")` answered, then its `.char`): each
  // round answers one more step of such chains.
  for (int round = 0; round < kMaxRounds && store && store->has_questions(); ++round) {
    if (inv.cancel && inv.cancel->load()) return c;
    std::string why;
    const bool answered = store->ask(&why, inv.cancel);
    if (inv.cancel && inv.cancel->load()) return c;
    c = Collection();  // the first collection freed before the next is built
    c = collect(inv);  // after a failure too: the items say what the interpreter did not answer
    if (!answered) {
      c.warnings.push_back("the interpreter could not be asked installed modules' values: " + why);
      return c;
    }
  }
  // What is still not asked stays unknown, kept so: the next run asks nothing more (a loop
  // reading one element per round would otherwise ask on every run).
  if (store) store->give_up_questions();
  return c;
}

}  // namespace fastest
