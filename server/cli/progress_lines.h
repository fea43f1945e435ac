// pytest's progress report: a line per test file ("tests/test_a.py ..F.s   [ 40%]"), wrapped at
// the terminal's edge, for results that arrive from several workers at once.
//
// pytest starts a new line whenever the file changes; with workers finishing tests of different
// files in turn that would print a line per test. So each file's marks are held until the file
// is done (every test it was expected to report has reported) or fill a line, and one file's
// line is written at a time: lines appear in the order files finish, each whole, its marks in
// pytest's order.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <set>
#include <ostream>
#include <string>
#include <vector>

namespace fastest::cli {

class ProgressLines {
 public:
  // `total`: the number of tests expected (the percentage's denominator; grows if more report).
  ProgressLines(std::ostream& out, size_t total, size_t width = 80) : out_(out), total_(total), width_(width) {}

  // A test `file` (as shown) will report: pytest collected it. A file is done once every test
  // it was expected to report has; one never announced is written when it fills a line or at
  // finish().
  void expect(const std::string& file, const std::string& test_id);
  // A test that will not report a mark (its module failed to collect).
  void less_total(size_t n) { total_ -= std::min(total_, n); }
  // An expected test that will not report after all (its module failed or skipped at import):
  // it leaves the denominator, and its file is done without it.
  void forget(const std::string& file, const std::string& test_id);
  void set_total(size_t total) { total_ = total; }

  // Test `test_id` of `file` finished with progress mark `mark` ('.', 'F', 's', ...).
  void add(const std::string& file, const std::string& test_id, char mark);

  // Writes whatever is held, file by file, and closes the last line. `interrupted`: pytest's
  // session ended mid-file, and pytest leaves that line without its percentage.
  void finish(bool interrupted = false);

  size_t written() const { return written_; }

 private:
  struct File {
    // Held, not yet written: (place in pytest's order, mark). A finished file's marks are
    // written in pytest's order, a streaming one's as they come.
    std::vector<std::pair<size_t, char>> marks;
    std::set<std::string> expected;      // collected (a re-run batch collects again: a set)
    std::set<std::string> reported;
    size_t unreported = 0;               // expected, not yet reported
    bool finished = false;               // in finished_order_
    bool waiting = false;                // in waiting_
  };
  static bool done(const File& f) { return !f.expected.empty() && f.unreported == 0; }
  bool fills_line(const std::string& name, const File& f) const;
  void note_marks(const std::string& name, File& f);
  std::string next_to_show();
  void pump();
  void open(const std::string& name);
  void write_marks(File& f);
  void close_line();
  std::string percent() const;

  std::ostream& out_;
  size_t total_;
  size_t width_;
  size_t written_ = 0;
  size_t expected_total_ = 0;
  std::map<std::string, size_t> order_;  // test id -> its place in pytest's order (first seen)
  std::map<std::string, File> files_;
  std::vector<std::string> finished_order_;  // files done, in the order they finished
  // Files to show, so a result costs no walk over every file: finished files holding marks, in
  // the order they finished (entries gone stale are skipped), and files holding a line's worth.
  std::deque<std::string> waiting_;
  std::set<std::string> full_;
  std::string open_;                         // the file whose line is being written
  bool line_open_ = false;
  size_t column_ = 0;
};

}  // namespace fastest::cli
