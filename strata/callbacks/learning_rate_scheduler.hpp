// LearningRateScheduler: Keras' callback that sets the optimizer's learning rate at the start of
// every epoch to schedule(epoch, current_lr) (epoch counts from 0).
//
//   model.fit(x, y, {.epochs = 5, .callbacks = {LearningRateScheduler(
//       [](int epoch, double lr) { return epoch < 3 ? lr : lr * 0.3; })}});
#pragma once

#include <functional>

#include "strata/callbacks/callback.hpp"

namespace strata {

class LearningRateScheduler : public Callback {
 public:
  using Schedule = std::function<double(int epoch, double lr)>;
  // verbose 1 prints each change as Keras does.
  explicit LearningRateScheduler(Schedule schedule, int verbose = 0);
  void on_epoch_begin(int epoch) override;

 private:
  Schedule schedule_;
  int verbose_;
};

}  // namespace strata
