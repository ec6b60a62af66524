#include "strata/datasets/fashion_mnist.hpp"

#include <cstdlib>
#include <filesystem>

#include "strata/core/error.hpp"
#include "strata/datasets/idx.hpp"

namespace strata::datasets::fashion_mnist {

namespace {

constexpr int kSide = 28;
constexpr int kClasses = 10;

// The gzipped name as distributed, else the same name unpacked.
std::string find_file(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path gz = fs::path(dir) / (name + ".gz");
  const fs::path plain = fs::path(dir) / name;
  std::error_code ec;
  if (fs::is_regular_file(gz, ec)) return gz.string();
  if (fs::is_regular_file(plain, ec)) return plain.string();
  throw IOError("Fashion-MNIST: cannot find " + gz.string() + " (nor " + plain.string() +
                "). Install the dataset with `sudo apt-get install dataset-fashion-mnist`, or set "
                "STRATA_DATASETS_DIR to a directory containing fashion-mnist/ with the four IDX "
                "files, or pass the directory to load()");
}

Dataset load_split(const std::string& images_path, const std::string& labels_path) {
  IdxArray images = read_idx(images_path);
  IdxArray labels = read_idx(labels_path);

  const Shape& s = images.shape;
  if (images.type_code != 0x08 || s.rank() != 3 || s[1] != kSide || s[2] != kSide)
    throw IOError("Fashion-MNIST: '" + images_path +
                  "' should hold ubyte images of shape (N, 28, 28), holds " +
                  idx_type_name(images.type_code) + " of shape " + s.str());
  if (labels.type_code != 0x08 || labels.shape.rank() != 1)
    throw IOError("Fashion-MNIST: '" + labels_path +
                  "' should hold ubyte labels of shape (N,), holds " +
                  idx_type_name(labels.type_code) + " of shape " + labels.shape.str());
  const int64_t n = s[0];
  if (labels.shape[0] != n)
    throw IOError("Fashion-MNIST: '" + images_path + "' holds " + std::to_string(n) +
                  " images but '" + labels_path + "' holds " + std::to_string(labels.shape[0]) +
                  " labels");

  std::vector<int32_t> y(labels.values.size());
  for (size_t i = 0; i < y.size(); ++i) {
    y[i] = static_cast<int32_t>(labels.values[i]);
    if (y[i] >= kClasses)
      throw IOError("Fashion-MNIST: '" + labels_path + "': label " + std::to_string(y[i]) +
                    " at index " + std::to_string(i) + " is not a class in 0..9");
  }
  // Divide rather than multiply by 1/255 so that 255 maps to exactly 1.
  for (float& v : images.values) v /= 255.f;

  return {Tensor::from_vector(Shape{n, kSide, kSide, 1}, images.values),
          Tensor::from_vector(Shape{n}, y)};
}

}  // namespace

std::string resolve_dir(const std::string& dir) {
  if (!dir.empty()) return dir;
  const char* root = std::getenv("STRATA_DATASETS_DIR");
  if (root && *root) return (std::filesystem::path(root) / "fashion-mnist").string();
  return "/usr/share/datasets/fashion-mnist";
}

std::pair<Dataset, Dataset> load(const std::string& dir) {
  const std::string d = resolve_dir(dir);
  // Locate all four files before reading any, so a missing one fails at once.
  const std::string train_x = find_file(d, "train-images-idx3-ubyte");
  const std::string train_y = find_file(d, "train-labels-idx1-ubyte");
  const std::string test_x = find_file(d, "t10k-images-idx3-ubyte");
  const std::string test_y = find_file(d, "t10k-labels-idx1-ubyte");
  return {load_split(train_x, train_y), load_split(test_x, test_y)};
}

std::vector<std::string> class_names() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
}

}  // namespace strata::datasets::fashion_mnist
