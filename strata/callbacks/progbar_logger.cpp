#include "strata/callbacks/progbar_logger.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace strata {

namespace {

bool is_terminal(std::ostream& out) { return &out == &std::cout && isatty(STDOUT_FILENO); }

std::string format_value(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::abs(v) >= 1e-3 || v == 0 ? "%.4f" : "%.4e", v);
  return buf;
}

}  // namespace

std::string format_duration(double s) {
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%d:%02d:%02d", int(s / 3600), int(s / 60) % 60, int(s) % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%d:%02d", int(s / 60), int(s) % 60);
  else if (s >= 1) std::snprintf(buf, sizeof buf, "%ds", int(std::lround(s)));
  else if (s >= 1e-3) std::snprintf(buf, sizeof buf, "%dms", int(std::lround(s * 1e3)));
  else std::snprintf(buf, sizeof buf, "%dus", int(std::lround(s * 1e6)));
  return buf;
}

ProgbarLogger::ProgbarLogger(int verbose, std::ostream& out)
    : out_(out), live_(verbose == 1 && is_terminal(out)) {}

std::string format_logs(const Logs& logs) {
  std::string s;
  for (const auto& [k, v] : logs.items()) s += " - " + k + ": " + format_value(v);
  return s;
}

void ProgbarLogger::on_epoch_begin(int epoch) {
  out_ << "Epoch " << epoch + 1 << "/" << epochs_ << "\n" << std::flush;
  start_ = last_draw_ = std::chrono::steady_clock::now();
  seen_ = 0;
}

void ProgbarLogger::on_train_batch_end(int64_t batch, const Logs& logs) {
  seen_ = batch + 1;
  if (!live_) return;
  auto now = std::chrono::steady_clock::now();
  // Redrawing every batch costs more than a fast step; ~20 redraws a second look continuous.
  if (seen_ < steps_ && now - last_draw_ < std::chrono::milliseconds(50)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double per_step = elapsed / double(seen_);
  const int width = 20;
  const int done = steps_ > 0 ? int(width * seen_ / steps_) : width;
  std::ostringstream line;
  const int digits = int(std::to_string(steps_).size());
  line << "\r" << std::string(digits - std::to_string(seen_).size(), ' ') << seen_ << "/"
       << steps_ << " ";
  for (int i = 0; i < done; ++i) line << "━";
  line << "\x1b[2m";  // the remaining part of the bar is drawn dim, as Keras does
  for (int i = done; i < width; ++i) line << "━";
  line << "\x1b[0m ";
  line << format_duration(per_step * double(steps_ - seen_)) << " "
       << format_duration(per_step) << "/step" << format_logs(logs) << "\x1b[K";
  out_ << line.str() << std::flush;
}

void ProgbarLogger::on_epoch_end(int, const Logs& logs) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double per_step = seen_ ? elapsed / double(seen_) : 0.0;
  if (live_) {
    std::ostringstream line;
    line << "\r" << seen_ << "/" << steps_ << " ";
    for (int i = 0; i < 20; ++i) line << "━";
    line << " " << format_duration(elapsed) << " " << format_duration(per_step) << "/step"
         << format_logs(logs) << "\x1b[K\n";
    out_ << line.str() << std::flush;
  } else {
    out_ << seen_ << "/" << steps_ << " - " << format_duration(elapsed) << " - "
         << format_duration(per_step) << "/step" << format_logs(logs) << "\n"
         << std::flush;
  }
}

}  // namespace strata
