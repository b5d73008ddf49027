#include "powertrain/models/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

namespace powertrain::models {

namespace {

struct DtypeName {
  const char* name;
  torch::ScalarType type;
};

constexpr DtypeName kDtypes[] = {
    {"F64", torch::kFloat64}, {"F32", torch::kFloat32}, {"F16", torch::kFloat16},
    {"BF16", torch::kBFloat16}, {"I64", torch::kInt64}, {"I32", torch::kInt32},
    {"I16", torch::kInt16}, {"I8", torch::kInt8}, {"U8", torch::kUInt8}, {"BOOL", torch::kBool},
};

const char* dtype_name(torch::ScalarType type) {
  for (const auto& d : kDtypes) {
    if (d.type == type) return d.name;
  }
  throw std::invalid_argument(std::string("safetensors: unsupported dtype ") +
                              c10::toString(type));
}

std::optional<torch::ScalarType> parse_dtype(const std::string& name) {
  for (const auto& d : kDtypes) {
    if (name == d.name) return d.type;
  }
  return std::nullopt;
}

std::string shape_string(c10::IntArrayRef shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

// The format is little-endian; so are all the machines this runs on.
static_assert(sizeof(uint64_t) == 8);
bool host_is_little_endian() {
  const uint16_t one = 1;
  unsigned char first = 0;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

}  // namespace

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  if (!host_is_little_endian()) throw std::runtime_error("safetensors: big-endian host");
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header["__metadata__"] = meta;
  }
  std::vector<torch::Tensor> data;
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__" || !seen.insert(name).second) {
      throw std::invalid_argument("safetensors: duplicate or reserved tensor name '" + name +
                                  "' for " + path);
    }
    torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
    const uint64_t bytes = cpu.numel() * cpu.element_size();
    header[name] = {{"dtype", dtype_name(cpu.scalar_type())},
                    {"shape", std::vector<int64_t>(cpu.sizes().begin(), cpu.sizes().end())},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    data.push_back(cpu);
  }
  std::string text = header.dump();
  // Pad with spaces so that the data starts 8-byte aligned, as the reference writer does.
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  const uint64_t header_length = text.size();
  out.write(reinterpret_cast<const char*>(&header_length), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const auto& t : data) {
    out.write(static_cast<const char*>(t.data_ptr()),
              static_cast<std::streamsize>(t.numel() * t.element_size()));
  }
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
}

SafetensorsContents load_safetensors(const std::string& path) {
  if (!host_is_little_endian()) throw std::runtime_error("safetensors: big-endian host");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  auto bad = [&](const std::string& why) {
    return std::runtime_error(path + ": not a valid .safetensors file: " + why);
  };
  if (file_size < 8) throw bad("shorter than 8 bytes");
  uint64_t header_length = 0;
  in.read(reinterpret_cast<char*>(&header_length), 8);
  if (header_length > file_size - 8 || header_length > (100u << 20)) {
    throw bad("header length " + std::to_string(header_length) + " exceeds the file (" +
              std::to_string(file_size) + " bytes)");
  }
  std::string text(header_length, '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_length));
  if (!in) throw std::runtime_error("cannot read " + path);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("header is not JSON: ") + e.what());
  }
  if (!header.is_object()) throw bad("header is not a JSON object");
  const uint64_t data_size = file_size - 8 - header_length;
  std::string data(data_size, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data_size));
  if (!in) throw std::runtime_error("cannot read " + path);

  SafetensorsContents contents;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) throw bad("__metadata__ is not an object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) throw bad("__metadata__." + key + " is not a string");
        contents.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets")) {
      throw bad("tensor '" + name + "' lacks dtype, shape or data_offsets");
    }
    const auto& dtype_json = entry["dtype"];
    const auto dtype = dtype_json.is_string() ? parse_dtype(dtype_json.get<std::string>())
                                              : std::nullopt;
    if (!dtype) throw bad("tensor '" + name + "' has unsupported dtype " + dtype_json.dump());
    std::vector<int64_t> shape;
    uint64_t numel = 1;
    if (!entry["shape"].is_array()) throw bad("tensor '" + name + "' shape is not a list");
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_unsigned()) throw bad("tensor '" + name + "' has a bad shape " + entry["shape"].dump());
      shape.push_back(d.get<int64_t>());
      numel *= d.get<uint64_t>();
    }
    const auto& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned()) {
      throw bad("tensor '" + name + "' has bad data_offsets " + offsets.dump());
    }
    const uint64_t begin = offsets[0].get<uint64_t>();
    const uint64_t end = offsets[1].get<uint64_t>();
    const uint64_t expected = numel * c10::elementSize(*dtype);
    if (begin > end || end > data_size || end - begin != expected) {
      throw bad("tensor '" + name + "' data_offsets [" + std::to_string(begin) + ", " +
                std::to_string(end) + "] do not fit shape " + shape_string(shape) + " of " +
                dtype_json.get<std::string>() + " in " + std::to_string(data_size) +
                " data bytes");
    }
    torch::Tensor tensor = torch::empty(shape, torch::TensorOptions().dtype(*dtype));
    if (expected > 0) std::memcpy(tensor.data_ptr(), data.data() + begin, expected);
    contents.tensors.emplace(name, std::move(tensor));
  }
  return contents;
}

NamedTensors state_dict(const torch::nn::Module& module) {
  NamedTensors out;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    out.emplace_back(item.key(), item.value());
  }
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    out.emplace_back(item.key(), item.value());
  }
  return out;
}

void load_state_dict(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors,
                     const std::string& source, const LoadStateOptions& options) {
  auto ignored = [&](const std::string& key) {
    return std::any_of(options.ignore_prefixes.begin(), options.ignore_prefixes.end(),
                       [&](const std::string& p) { return key.compare(0, p.size(), p) == 0; });
  };
  const NamedTensors targets = state_dict(module);
  std::vector<std::string> missing, mis_shaped, unexpected;
  std::set<std::string> known;
  for (const auto& [name, target] : targets) {
    known.insert(name);
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      const bool counter = name.size() >= 19 &&
                           name.compare(name.size() - 19, 19, "num_batches_tracked") == 0;
      if (!(counter && options.allow_missing_num_batches_tracked)) missing.push_back(name);
      continue;
    }
    if (it->second.sizes() != target.sizes()) {
      mis_shaped.push_back(name + " (file " + shape_string(it->second.sizes()) + ", model " +
                           shape_string(target.sizes()) + ")");
    }
  }
  for (const auto& [name, tensor] : tensors) {
    if (!known.count(name) && !ignored(name)) unexpected.push_back(name);
  }
  if (!missing.empty() || !mis_shaped.empty() || !unexpected.empty()) {
    std::ostringstream message;
    message << source << ": weights do not match the model:";
    auto list = [&](const char* what, const std::vector<std::string>& keys) {
      if (keys.empty()) return;
      message << ' ' << keys.size() << ' ' << what << " (";
      const size_t shown = std::min<size_t>(keys.size(), 8);
      for (size_t i = 0; i < shown; ++i) message << (i ? ", " : "") << keys[i];
      if (shown < keys.size()) message << ", ...";
      message << ");";
    };
    list("missing", missing);
    list("unexpected", unexpected);
    list("mis-shaped", mis_shaped);
    std::string text = message.str();
    text.pop_back();
    throw std::invalid_argument(text);
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, target] : targets) {
    auto it = tensors.find(name);
    if (it != tensors.end()) const_cast<torch::Tensor&>(target).copy_(it->second);
  }
}

void save_module(const std::string& path, const torch::nn::Module& module,
                 const std::map<std::string, std::string>& metadata) {
  save_safetensors(path, state_dict(module), metadata);
}

void load_module(const std::string& path, torch::nn::Module& module,
                 const LoadStateOptions& options) {
  load_state_dict(module, load_safetensors(path).tensors, path, options);
}

}  // namespace powertrain::models
