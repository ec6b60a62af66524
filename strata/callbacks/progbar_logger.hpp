// ProgbarLogger: Keras' training printout. On a terminal it redraws one line per batch with a
// counter, bar, ETA, time per step and the running metrics; when output is redirected (logs,
// CI) it prints one line per epoch instead, so files don't fill with redraws.
//
//   Epoch 1/5
//   422/422 ━━━━━━━━━━━━━━━━━━━━ 3s 6ms/step - loss: 0.5123 - accuracy: 0.8201
#pragma once

#include <chrono>
#include <iosfwd>

#include "strata/callbacks/callback.hpp"

namespace strata {

class ProgbarLogger : public Callback {
 public:
  // verbose 1: bar on a terminal, per-epoch lines otherwise; 2: per-epoch lines always.
  ProgbarLogger(int verbose, std::ostream& out);
  void on_epoch_begin(int epoch) override;
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
  void on_epoch_end(int epoch, const Logs& logs) override;

 private:
  std::ostream& out_;
  bool live_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  int64_t seen_ = 0;
};

// " - loss: 0.3512 - accuracy: 0.8764": logs as the progress bar prints them.
std::string format_logs(const Logs& logs);

// "2s", "1:05", "15ms" — Keras' compact durations.
std::string format_duration(double seconds);

}  // namespace strata
