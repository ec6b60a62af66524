// Callbacks observe training: fit calls their hooks at the start and end of training, of each
// epoch and of each batch, passing the running logs ("loss", "accuracy", "val_loss", ...).
// History (returned by fit) records each epoch's logs.
//
//   struct PrintLoss : Callback {
//     void on_epoch_end(int epoch, const Logs& logs) override {
//       std::cout << epoch << ": " << logs["loss"] << "\n";
//     }
//   };
//   model.fit(x, y, {.epochs = 3, .callbacks = {std::make_shared<PrintLoss>()}});
#pragma once

#include <concepts>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace strata {

class Model;

// Named scalar results in a stable order (loss first, then metrics, then val_*).
class Logs {
 public:
  void set(const std::string& name, double value);
  // Throws ValueError listing the available names when `name` is absent.
  double operator[](const std::string& name) const;
  bool contains(const std::string& name) const;
  const std::vector<std::pair<std::string, double>>& items() const { return items_; }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<std::pair<std::string, double>> items_;
};

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void set_model(Model* model) { model_ = model; }
  virtual void set_params(int epochs, int64_t steps) { epochs_ = epochs, steps_ = steps; }
  virtual void on_train_begin() {}
  virtual void on_train_end(const Logs& /*logs*/) {}
  virtual void on_epoch_begin(int /*epoch*/) {}
  virtual void on_epoch_end(int /*epoch*/, const Logs& /*logs*/) {}
  virtual void on_train_batch_begin(int64_t /*batch*/) {}
  virtual void on_train_batch_end(int64_t /*batch*/, const Logs& /*logs*/) {}

 protected:
  Model* model_ = nullptr;
  int epochs_ = 0;
  int64_t steps_ = 0;
};
using CallbackPtr = std::shared_ptr<Callback>;

// What fit's callback list takes: a callback object by value (moved into shared ownership) or a
// shared pointer to one the caller keeps, e.g. to read it after training.
class CallbackRef {
 public:
  template <class C>
    requires std::derived_from<std::decay_t<C>, Callback> && (!std::is_lvalue_reference_v<C>)
  CallbackRef(C&& c) : ptr_(std::make_shared<std::decay_t<C>>(std::move(c))) {}
  template <class C>
    requires std::derived_from<C, Callback>
  CallbackRef(std::shared_ptr<C> c) : ptr_(std::move(c)) {}
  const CallbackPtr& get() const { return ptr_; }

 private:
  CallbackPtr ptr_;
};

// history["loss"][e] is the loss of epoch e; epoch lists the epoch indices seen.
class History : public Callback {
 public:
  void on_train_begin() override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  std::map<std::string, std::vector<double>> history;
  std::vector<int> epoch;
  // Throws ValueError listing the recorded names when `name` is absent.
  const std::vector<double>& operator[](const std::string& name) const;
};

}  // namespace strata
