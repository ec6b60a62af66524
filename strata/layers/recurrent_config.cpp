// Keras configs of the recurrent layers: written in the tf.keras 2 layout, read from Keras 1, 2
// and 3 (and tfjs) spellings. Keys that would change the result and that Strata cannot honour are
// refused rather than dropped.
#include <algorithm>
#include <set>

#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/recurrent.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

namespace {

using nlohmann::json;

// Keys every recurrent layer understands. Those that only select an implementation
// (implementation, consume_less, use_cudnn, unroll) or describe the input are accepted as they
// do not change the result.
const std::set<std::string>& shared_keys() {
  static const std::set<std::string> keys = {
      // Layer
      "name", "trainable", "dtype", "batch_input_shape", "batch_shape", "input_shape",
      "input_dim", "input_length", "batch_size",
      // RNN base
      "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "time_major",
      "zero_output_for_mask", "implementation", "consume_less", "use_cudnn", "seed",
      // cell arguments (Keras 2/3)
      "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
      "recurrent_initializer", "bias_initializer", "kernel_regularizer",
      "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
      "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
      // Keras 1 spellings
      "output_dim", "init", "inner_init", "inner_activation", "W_regularizer", "U_regularizer",
      "b_regularizer", "dropout_W", "dropout_U"};
  return keys;
}

}  // namespace

RecurrentOptions Recurrent::options_from_config(const json& config, const char* class_name,
                                                std::initializer_list<const char*> own_keys) {
  ConfigReader r(config, class_name);
  if (!config.is_object()) r.fail("expected an object, got " + config.dump());
  const std::string name = r.name();
  auto fail = [&](const std::string& what) {
    throw ValueError(std::string(class_name) + " '" + name + "' config: " + what);
  };
  for (const auto& [key, value] : config.items()) {
    if (shared_keys().count(key)) continue;
    if (std::find_if(own_keys.begin(), own_keys.end(),
                     [&](const char* k) { return key == k; }) != own_keys.end())
      continue;
    fail("unknown key '" + key + "' (" + value.dump() +
         "); Strata does not know what it changes, so it refuses the layer");
  }
  r.require_null({"kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                  "activity_regularizer", "kernel_constraint", "recurrent_constraint",
                  "bias_constraint", "W_regularizer", "U_regularizer", "b_regularizer"});
  if (r.get_or<bool>("time_major", false))
    fail("time_major = true (inputs laid out (timesteps, batch, features)) is not supported");

  RecurrentOptions o;
  o.name = name;
  o.units = r.get<int64_t>("units", {"output_dim"});
  o.activation = r.has("activation") ? r.activation("activation") : "tanh";
  if (r.has("recurrent_activation")) {
    o.recurrent_activation = r.activation("recurrent_activation");
  } else if (r.has("inner_activation")) {
    // Keras 1 only: its "hard_sigmoid" is the 0.2-slope one.
    o.recurrent_activation = r.activation("inner_activation");
    if (o.recurrent_activation == "hard_sigmoid") o.recurrent_activation = "hard_sigmoid_legacy";
  }
  o.use_bias = r.get_or<bool>("use_bias", true);
  o.kernel_initializer = r.initializer(r.has("kernel_initializer") ? "kernel_initializer" : "init",
                                       "glorot_uniform");
  o.recurrent_initializer = r.initializer(
      r.has("recurrent_initializer") ? "recurrent_initializer" : "inner_init", "orthogonal");
  o.bias_initializer = r.initializer("bias_initializer", "zeros");
  o.dropout = r.get_or<float>("dropout", 0.f, {"dropout_W"});
  o.recurrent_dropout = r.get_or<float>("recurrent_dropout", 0.f, {"dropout_U"});
  o.return_sequences = r.get_or<bool>("return_sequences", false);
  o.return_state = r.get_or<bool>("return_state", false);
  o.go_backwards = r.get_or<bool>("go_backwards", false);
  o.stateful = r.get_or<bool>("stateful", false);
  o.unroll = r.get_or<bool>("unroll", false);
  if (auto seed = r.optional<uint64_t>("seed")) o.seed = *seed;
  return o;
}

nlohmann::json Recurrent::get_config() const {
  auto c = Layer::get_config();
  c["return_sequences"] = o_.return_sequences;
  c["return_state"] = o_.return_state;
  c["go_backwards"] = o_.go_backwards;
  c["stateful"] = o_.stateful;
  c["unroll"] = o_.unroll;
  c["time_major"] = false;
  c["units"] = o_.units;
  c["activation"] = o_.activation.empty() ? "linear" : o_.activation;
  c["use_bias"] = o_.use_bias;
  c["kernel_initializer"] = initializer_config(o_.kernel_initializer);
  c["recurrent_initializer"] = initializer_config(o_.recurrent_initializer);
  c["bias_initializer"] = initializer_config(o_.bias_initializer);
  add_null_regularizers(c);
  c["recurrent_regularizer"] = nullptr;
  c["recurrent_constraint"] = nullptr;
  c["dropout"] = config_number(o_.dropout);
  c["recurrent_dropout"] = config_number(o_.recurrent_dropout);
  return c;
}

nlohmann::json SimpleRNN::get_config() const { return Recurrent::get_config(); }

nlohmann::json LSTM::get_config() const {
  auto c = Recurrent::get_config();
  c["recurrent_activation"] = o_.recurrent_activation.empty() ? "linear" : o_.recurrent_activation;
  c["unit_forget_bias"] = o_.unit_forget_bias;
  c["implementation"] = 2;
  return c;
}

nlohmann::json GRU::get_config() const {
  auto c = Recurrent::get_config();
  c["recurrent_activation"] = o_.recurrent_activation.empty() ? "linear" : o_.recurrent_activation;
  c["reset_after"] = o_.reset_after;
  c["implementation"] = 2;
  return c;
}

namespace {

// Keras 3 writes zero_output_for_mask (Bidirectional sets it); Keras 2 never does.
template <class L>
std::shared_ptr<L> with_mask_output(std::shared_ptr<L> layer, const json& config) {
  if (config.contains("zero_output_for_mask") && config["zero_output_for_mask"].is_boolean())
    layer->zero_output_for_mask = config["zero_output_for_mask"].get<bool>();
  return layer;
}

}  // namespace

std::shared_ptr<SimpleRNN> SimpleRNN::from_config(const json& config) {
  RecurrentOptions o = options_from_config(config, "SimpleRNN", {});
  return with_mask_output(std::make_shared<SimpleRNN>(std::move(o)), config);
}

std::shared_ptr<LSTM> LSTM::from_config(const json& config) {
  RecurrentOptions o = options_from_config(config, "LSTM", {"unit_forget_bias", "forget_bias_init"});
  ConfigReader r(config, "LSTM");
  if (r.has("unit_forget_bias")) {
    o.unit_forget_bias = r.get_or<bool>("unit_forget_bias", true);
  } else if (r.has("forget_bias_init")) {
    // Keras 1 named the forget gate's initializer; "one" is what unit_forget_bias means.
    const json& v = config["forget_bias_init"];
    o.unit_forget_bias = v.is_string() && (v == "one" || v == "ones");
  }
  return with_mask_output(std::make_shared<LSTM>(std::move(o)), config);
}

std::shared_ptr<GRU> GRU::from_config(const json& config) {
  RecurrentOptions o = options_from_config(config, "GRU", {"reset_after"});
  // Files without the key predate it (Keras <= 2.1, tfjs): the original formula.
  o.reset_after = ConfigReader(config, "GRU").get_or<bool>("reset_after", false);
  return with_mask_output(std::make_shared<GRU>(std::move(o)), config);
}

}  // namespace strata
