// Fashion-MNIST (Zalando): 70,000 28x28 greyscale images of clothing in 10 classes, split into
// 60,000 training and 10,000 test images. load() reads the four IDX files (gzipped or not) from
// the dataset directory: the argument, else $STRATA_DATASETS_DIR/fashion-mnist, else
// /usr/share/datasets/fashion-mnist, where the Debian package dataset-fashion-mnist puts them.
//
//   auto [train, test] = strata::datasets::fashion_mnist::load();
//   train.x.shape();   // (60000, 28, 28, 1), float32 pixels scaled to [0, 1]
//   train.y.shape();   // (60000,), int32 labels 0..9
//   fashion_mnist::class_names()[9];   // "Ankle boot"
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "strata/datasets/dataset.hpp"

namespace strata::datasets::fashion_mnist {

// Train, then test. Throws IOError naming the path when a file is missing (with install
// instructions) or malformed, or when a split's image and label counts differ.
std::pair<Dataset, Dataset> load(const std::string& dir = "");

// The directory load(dir) reads: `dir` when not empty, else $STRATA_DATASETS_DIR/fashion-mnist
// when that variable is set and not empty, else /usr/share/datasets/fashion-mnist.
std::string resolve_dir(const std::string& dir = "");

// The 10 class names, indexed by label: "T-shirt/top", "Trouser", ..., "Ankle boot".
std::vector<std::string> class_names();

}  // namespace strata::datasets::fashion_mnist
