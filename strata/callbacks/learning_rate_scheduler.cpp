#include "strata/callbacks/learning_rate_scheduler.hpp"

#include <cmath>
#include <iostream>

#include "strata/api/model.hpp"
#include "strata/core/error.hpp"

namespace strata {

LearningRateScheduler::LearningRateScheduler(Schedule schedule, int verbose)
    : schedule_(std::move(schedule)), verbose_(verbose) {
  if (!schedule_) throw ValueError("LearningRateScheduler: no schedule function given");
}

void LearningRateScheduler::on_epoch_begin(int epoch) {
  if (!model_ || !model_->optimizer())
    throw ValueError("LearningRateScheduler: the model has no optimizer; compile it first");
  const double lr = schedule_(epoch, model_->optimizer()->learning_rate());
  if (!std::isfinite(lr) || lr < 0)
    throw ValueError("LearningRateScheduler: schedule returned " + std::to_string(lr) +
                     " for epoch " + std::to_string(epoch) +
                     "; a learning rate must be a finite number >= 0");
  model_->optimizer()->set_learning_rate(static_cast<float>(lr));
  if (verbose_)
    std::cout << "\nEpoch " << epoch + 1 << ": LearningRateScheduler setting learning rate to "
              << lr << ".\n";
}

}  // namespace strata
