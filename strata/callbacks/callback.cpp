#include "strata/callbacks/callback.hpp"

#include "strata/core/error.hpp"

namespace strata {

void Logs::set(const std::string& name, double value) {
  for (auto& [k, v] : items_)
    if (k == name) {
      v = value;
      return;
    }
  items_.emplace_back(name, value);
}

bool Logs::contains(const std::string& name) const {
  for (const auto& [k, _] : items_)
    if (k == name) return true;
  return false;
}

double Logs::operator[](const std::string& name) const {
  std::string names;
  for (const auto& [k, v] : items_) {
    if (k == name) return v;
    names += (names.empty() ? "" : ", ") + k;
  }
  throw ValueError("no log entry named '" + name + "'; available: " + names);
}

void History::on_train_begin() {
  // Keras keeps appending across fit calls only through a new History; start fresh.
  history.clear();
  epoch.clear();
}

void History::on_epoch_end(int e, const Logs& logs) {
  epoch.push_back(e);
  for (const auto& [k, v] : logs.items()) history[k].push_back(v);
}

const std::vector<double>& History::operator[](const std::string& name) const {
  auto it = history.find(name);
  if (it != history.end()) return it->second;
  std::string names;
  for (const auto& [k, _] : history) names += (names.empty() ? "" : ", ") + k;
  throw ValueError("History has no entry '" + name + "'; recorded: " + names);
}

}  // namespace strata
