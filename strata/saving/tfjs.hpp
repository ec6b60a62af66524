// TensorFlow.js layers models: model.json (a Keras config in tfjs' wrapping plus a
// weightsManifest) and its binary weight shards. Weights are matched to layers by name, as tfjs
// does ("dense/kernel" is weight "kernel" of layer "dense"); uint8 / uint16 quantized weights are
// dequantized (q * scale + min) and float16 ones widened to float32.
//
//   std::shared_ptr<Model> m = load_tfjs_model("web_model/model.json");
//   Tensor y = m->predict(x);
#pragma once

#include <filesystem>
#include <memory>

#include "strata/api/model.hpp"

namespace strata {

// Throws IOError for unreadable, truncated or inconsistent files (naming the file) and
// ValueError for weights that do not fit the architecture (naming the layer and the shapes).
std::shared_ptr<Model> load_tfjs_model(const std::filesystem::path& model_json);

}  // namespace strata
