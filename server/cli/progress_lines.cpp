#include "server/cli/progress_lines.h"

#include <algorithm>
#include <cstdio>

namespace fastest::cli {
namespace {

// pytest's progress suffix, " [100%]", and the room it keeps for it.
constexpr size_t kProgressWidth = 7;
constexpr size_t kUnannounced = size_t{1} << 40;

size_t columns(const std::string& text) {
  size_t n = 0;
  for (unsigned char ch : text) n += (ch & 0xC0) != 0x80;
  return n;
}

}  // namespace

void ProgressLines::expect(const std::string& file, const std::string& test_id) {
  File& f = files_[file];
  order_.try_emplace(test_id, order_.size());
  if (!f.expected.insert(test_id).second) return;
  ++expected_total_;
  if (f.reported.count(test_id)) return;
  ++f.unreported;
  if (f.finished) {  // more of it to come after all
    f.finished = false;
    std::erase(finished_order_, file);
  }
}

void ProgressLines::forget(const std::string& file, const std::string& test_id) {
  auto it = files_.find(file);
  if (it == files_.end() || !it->second.expected.erase(test_id)) return;
  File& f = it->second;
  --expected_total_;
  if (f.reported.erase(test_id) == 0) --f.unreported;
  if (!f.finished && done(f)) {
    f.finished = true;
    finished_order_.push_back(file);
    note_marks(file, f);
    pump();
  }
}

bool ProgressLines::fills_line(const std::string& name, const File& f) const {
  return columns(name) + 1 + f.marks.size() + kProgressWidth + 1 >= width_;
}

void ProgressLines::note_marks(const std::string& name, File& f) {
  if (f.finished && !f.waiting) {
    f.waiting = true;
    waiting_.push_back(name);
  }
  if (fills_line(name, f)) full_.insert(name);
}

void ProgressLines::add(const std::string& file, const std::string& test_id, char mark) {
  File& f = files_[file];
  auto place = order_.find(test_id);
  // A test pytest never announced goes after the announced ones, in arrival order.
  f.marks.emplace_back(place != order_.end() ? place->second : kUnannounced + written_ + f.marks.size(), mark);
  if (f.reported.insert(test_id).second && f.expected.count(test_id)) --f.unreported;
  if (!f.finished && done(f)) {
    f.finished = true;
    finished_order_.push_back(file);
  }
  note_marks(file, f);
  pump();
}

std::string ProgressLines::next_to_show() {
  // A finished file, in the order files finished; else one holding a line's worth.
  while (!waiting_.empty()) {
    File& f = files_[waiting_.front()];
    if (f.finished && !f.marks.empty()) return waiting_.front();
    f.waiting = false;
    waiting_.pop_front();
  }
  while (!full_.empty()) {
    auto first = full_.begin();
    if (fills_line(*first, files_[*first])) return *first;
    full_.erase(first);
  }
  return {};
}

void ProgressLines::pump() {
  while (true) {
    if (!open_.empty()) {
      File& f = files_[open_];
      write_marks(f);
      if (f.finished) {
        close_line();
        open_.clear();
        continue;
      }
      // Still running: keep its line open unless a finished file is waiting to be shown.
      std::string next = next_to_show();
      if (next.empty() || files_[next].finished == false) return;
      close_line();
      open_.clear();
    }
    std::string next = next_to_show();
    if (next.empty()) return;
    open(next);
  }
}

void ProgressLines::open(const std::string& name) {
  close_line();
  out_ << name << " ";
  column_ = columns(name) + 1;
  line_open_ = true;
  open_ = name;
}

void ProgressLines::write_marks(File& f) {
  if (f.finished)
    std::stable_sort(f.marks.begin(), f.marks.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto [place, mark] : f.marks) {
    out_ << mark;
    ++column_;
    ++written_;
    // pytest's past-edge rule: the percentage, then the file's marks go on under it.
    if (column_ + kProgressWidth + 1 >= width_) {
      out_ << percent() << "\n";
      column_ = 0;
    }
  }
  f.marks.clear();
  out_.flush();
}

void ProgressLines::close_line() {
  if (!line_open_) return;
  if (column_ > 0) {
    std::string msg = percent();
    size_t fill = width_ > column_ + 1 ? width_ - column_ - 1 : 0;
    if (msg.size() < fill) msg.insert(0, fill - msg.size(), ' ');
    out_ << msg << "\n";
  }
  line_open_ = false;
  column_ = 0;
  out_.flush();
}

std::string ProgressLines::percent() const {
  // pytest's denominator is what it collected: dynamic items may be more than static ones.
  size_t total = std::max({total_, written_, expected_total_});
  char buf[16];
  std::snprintf(buf, sizeof buf, " [%3zu%%]", total ? written_ * 100 / total : 100);
  return buf;
}

void ProgressLines::finish(bool interrupted) {
  for (const std::string& name : finished_order_)
    if (!files_[name].marks.empty()) {
      if (open_ != name) open(name);
      write_marks(files_[name]);
    }
  for (auto& [name, f] : files_)
    if (!f.marks.empty()) {
      if (open_ != name) open(name);
      write_marks(f);
    }
  if (interrupted && line_open_ && column_ > 0) {
    out_ << "\n";
    line_open_ = false;
    column_ = 0;
  }
  close_line();
  open_.clear();
}

}  // namespace fastest::cli
