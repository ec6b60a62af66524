// The `strata` command-line tool: inspect and convert Keras model files.
//
//   strata summary FILE            file facts (format, Keras version, backend) and the model summary
//   strata convert IN OUT [--weights-only]
//                                  .h5 / .keras / tfjs model.json -> .keras, .h5 or .weights.h5
//
// Exit status: 0 on success, 1 when a file cannot be read or written (the message says why),
// 2 for a usage error.
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <strata/strata.hpp>

using namespace strata;

namespace {

int usage(const char* problem) {
  if (problem) std::cerr << "strata: " << problem << "\n";
  std::cerr << "usage: strata summary FILE\n"
               "       strata convert IN OUT [--weights-only]\n"
               "  summary  prints the file's format, Keras version and backend, and the model\n"
               "  convert  writes IN (a .h5, .keras or tfjs model.json) as OUT: .keras (Keras 3),\n"
               "           .h5 (legacy HDF5 model, or weights with --weights-only) or\n"
               "           .weights.h5 (Keras 3 weights)\n";
  return 2;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

int summary(const std::string& path) {
  const FileInfo info = inspect_model_file(path);
  std::cout << "File: " << path << "\n"
            << "Format: " << info.format_name << "\n"
            << "Keras version: " << (info.keras_version.empty() ? "(not recorded)" : info.keras_version)
            << "\n"
            << "Backend: " << (info.backend.empty() ? "(not recorded)" : info.backend) << "\n"
            << "Training config: " << (info.has_training_config ? "yes" : "no") << "\n";
  if (info.format == FileFormat::legacy_h5_weights || info.format == FileFormat::keras3_weights) {
    std::cout << "(weights only: no architecture to summarise)\n";
    return 0;
  }
  auto model = load_model(path, {.compile = false});
  std::cout << "\n";
  model->summary(std::cout);
  return 0;
}

int convert(const std::string& in, const std::string& out, bool weights_only) {
  auto model = load_model(in);
  if (weights_only || ends_with(out, ".weights.h5"))
    save_weights(*model, out);
  else
    save_model(*model, out);
  std::cout << "wrote " << out << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help") return usage(nullptr);
  try {
    if (args[0] == "summary") {
      if (args.size() != 2) return usage("summary takes one FILE");
      return summary(args[1]);
    }
    if (args[0] == "convert") {
      bool weights_only = false;
      std::vector<std::string> files;
      for (size_t i = 1; i < args.size(); ++i) {
        if (args[i] == "--weights-only") weights_only = true;
        else if (!args[i].empty() && args[i][0] == '-') return usage(("unknown option " + args[i]).c_str());
        else files.push_back(args[i]);
      }
      if (files.size() != 2) return usage("convert takes IN and OUT");
      return convert(files[0], files[1], weights_only);
    }
    return usage(("unknown command '" + args[0] + "'").c_str());
  } catch (const std::exception& e) {
    std::cerr << "strata: " << e.what() << "\n";
    return 1;
  }
}
