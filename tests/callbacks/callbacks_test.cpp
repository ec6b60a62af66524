#include <gtest/gtest.h>

#include "strata/callbacks/progbar_logger.hpp"
#include "strata/strata.hpp"

using namespace strata;

namespace {

struct Recorder : Callback {
  std::vector<std::string> events;
  std::vector<double> lrs;
  void on_train_begin() override { events.push_back("train_begin"); }
  void on_epoch_begin(int e) override {
    events.push_back("epoch_begin " + std::to_string(e));
  }
  void on_train_batch_end(int64_t b, const Logs& logs) override {
    events.push_back("batch_end " + std::to_string(b));
    EXPECT_TRUE(logs.contains("loss"));
  }
  void on_epoch_end(int e, const Logs& logs) override {
    events.push_back("epoch_end " + std::to_string(e));
    lrs.push_back(model_->optimizer()->learning_rate());
    EXPECT_TRUE(logs.contains("val_loss"));
  }
  void on_train_end(const Logs&) override { events.push_back("train_end"); }
};

Sequential tiny() {
  return Sequential({Input({3}), Dense({.units = 2, .activation = "softmax"})});
}

Dataset data(int n) {
  std::vector<float> x(static_cast<size_t>(n) * 3, 0.5f);
  std::vector<int32_t> y(static_cast<size_t>(n), 1);
  return {Tensor::from_vector({n, 3}, x), Tensor::from_vector({n}, y)};
}

}  // namespace

TEST(Callbacks, HooksRunInKerasOrder) {
  auto m = tiny();
  m.compile({.optimizer = "sgd", .loss = "sparse_categorical_crossentropy"});
  auto rec = std::make_shared<Recorder>();
  auto d = data(6);
  m.fit(d.x, d.y, {.batch_size = 4, .epochs = 2, .verbose = 0, .callbacks = {rec},
                   .validation_data = d});
  std::vector<std::string> want = {"train_begin", "epoch_begin 0", "batch_end 0", "batch_end 1",
                                   "epoch_end 0", "epoch_begin 1", "batch_end 0", "batch_end 1",
                                   "epoch_end 1", "train_end"};
  EXPECT_EQ(rec->events, want);
}

TEST(Callbacks, LearningRateSchedulerSetsTheRateEachEpoch) {
  auto m = tiny();
  m.compile({.optimizer = SGD({.learning_rate = 0.1}), .loss = "sparse_categorical_crossentropy"});
  auto rec = std::make_shared<Recorder>();
  auto d = data(4);
  m.fit(d.x, d.y, {.epochs = 3, .verbose = 0,
                   .callbacks = {LearningRateScheduler([](int e, double lr) { return e == 0 ? lr : lr / 2; }), rec},
                   .validation_data = d});
  ASSERT_EQ(rec->lrs.size(), 3u);
  EXPECT_FLOAT_EQ(rec->lrs[0], 0.1f);
  EXPECT_FLOAT_EQ(rec->lrs[1], 0.05f);
  EXPECT_FLOAT_EQ(rec->lrs[2], 0.025f);
}

TEST(Callbacks, LearningRateSchedulerRejectsBadRates) {
  auto m = tiny();
  m.compile({.optimizer = "sgd", .loss = "sparse_categorical_crossentropy"});
  auto d = data(4);
  EXPECT_THROW(m.fit(d.x, d.y, {.verbose = 0, .callbacks = {LearningRateScheduler([](int, double) { return -1.0; })}}),
               ValueError);
  EXPECT_THROW(LearningRateScheduler(nullptr), ValueError);
}

TEST(Callbacks, HistoryAndLogsLookups) {
  Logs logs;
  logs.set("loss", 1.0);
  logs.set("accuracy", 0.5);
  logs.set("loss", 0.8);
  EXPECT_EQ(logs.items().size(), 2u);
  EXPECT_DOUBLE_EQ(logs["loss"], 0.8);
  EXPECT_THROW(logs["val_loss"], ValueError);
  History h;
  h.on_train_begin();
  h.on_epoch_end(0, logs);
  EXPECT_EQ(h["accuracy"], std::vector<double>{0.5});
  EXPECT_THROW(h["nope"], ValueError);
}

TEST(Callbacks, DurationsPrintLikeKeras) {
  EXPECT_EQ(format_duration(3.2), "3s");
  EXPECT_EQ(format_duration(0.006), "6ms");
  EXPECT_EQ(format_duration(65), "1:05");
  EXPECT_EQ(format_duration(2e-5), "20us");
}
