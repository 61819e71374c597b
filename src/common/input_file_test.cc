#include "common/input_file.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace ctihub {
namespace {

namespace fs = std::filesystem;

std::string TempPath(const std::string& name) {
  return (fs::temp_directory_path() / ("ctihub-input-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

std::string Sample() {
  std::mt19937 rng(7);
  std::string s;
  for (int i = 0; i < 300000; ++i) s += static_cast<char>('a' + rng() % 26);
  return s;
}

// Writes `text`, compresses it with the system tool, and reads it back through InputFile.
std::string RoundTrip(const std::string& text, const std::string& compressor,
                      InputFile::Compression* seen) {
  std::string path = TempPath("rt.txt");
  std::ofstream(path, std::ios::binary) << text;
  std::string file = path;
  if (!compressor.empty()) {
    EXPECT_EQ(std::system((compressor + " -f '" + path + "'").c_str()), 0) << compressor;
    file = path + (compressor == "gzip" ? ".gz" : ".xz");
  }
  auto in = InputFile::Open(file);
  EXPECT_TRUE(in.ok()) << in.status().ToString();
  *seen = (*in)->compression();
  auto all = (*in)->ReadAll();
  EXPECT_TRUE(all.ok()) << all.status().ToString();
  fs::remove(file);
  return all.ok() ? *all : "";
}

TEST(InputFile, ReadsPlainGzipAndXzAlike) {
  std::string text = Sample();
  InputFile::Compression c;
  EXPECT_EQ(RoundTrip(text, "", &c), text);
  EXPECT_EQ(c, InputFile::Compression::kNone);
  EXPECT_EQ(RoundTrip(text, "gzip", &c), text);
  EXPECT_EQ(c, InputFile::Compression::kGzip);
  EXPECT_EQ(RoundTrip(text, "xz", &c), text);
  EXPECT_EQ(c, InputFile::Compression::kXz);
}

TEST(InputFile, TruncatedCompressedInputIsDataLoss) {
  std::string path = TempPath("trunc.txt");
  std::ofstream(path, std::ios::binary) << Sample();
  for (std::string tool : {"gzip", "xz"}) {
    ASSERT_EQ(std::system((tool + " -kf '" + path + "'").c_str()), 0);
    std::string file = path + (tool == "gzip" ? ".gz" : ".xz");
    fs::resize_file(file, fs::file_size(file) / 2);
    auto in = InputFile::Open(file);
    ASSERT_TRUE(in.ok());
    auto all = (*in)->ReadAll();
    EXPECT_EQ(all.status().code(), StatusCode::kDataLoss) << tool;
    // Everything that decoded before the cut is read first, the error after it, and it stays.
    auto again = InputFile::Open(file);
    ASSERT_TRUE(again.ok());
    const std::string sample = Sample();
    std::string got;
    std::vector<char> buffer(4096);
    Status error;
    for (;;) {
      Result<size_t> n = (*again)->Read(buffer.data(), buffer.size());
      if (!n.ok()) {
        error = n.status();
        break;
      }
      ASSERT_GT(*n, 0u) << tool << ": a truncated stream never ends cleanly";
      got.append(buffer.data(), *n);
    }
    EXPECT_EQ(error.code(), StatusCode::kDataLoss) << tool;
    EXPECT_NE(error.message().find("truncated"), std::string::npos) << error.message();
    EXPECT_GT(got.size(), sample.size() / 4) << tool;
    EXPECT_EQ(got, sample.substr(0, got.size())) << tool;
    EXPECT_EQ((*again)->Read(buffer.data(), buffer.size()).status().code(), StatusCode::kDataLoss);
    fs::remove(file);
  }
  fs::remove(path);
}

TEST(InputFile, MissingFileIsNotFoundAndDirectoryIsRejected) {
  EXPECT_EQ(InputFile::Open("/nonexistent/x.json").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(InputFile::Open("/tmp").status().code(), StatusCode::kInvalidArgument);
}

TEST(InputFile, PeekedBytesAreReadAgain) {
  std::string path = TempPath("peek.txt");
  std::ofstream(path) << "{\"type\":\"bundle\"}";
  ASSERT_EQ(std::system(("gzip -f '" + path + "'").c_str()), 0);
  auto in = InputFile::Open(path + ".gz");
  ASSERT_TRUE(in.ok());
  auto head = (*in)->Peek(8);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, "{\"type\":");
  EXPECT_EQ(*(*in)->ReadAll(), "{\"type\":\"bundle\"}");
  fs::remove(path + ".gz");
}

TEST(InputFile, ReadAllHonoursTheLimit) {
  std::string path = TempPath("limit.txt");
  std::ofstream(path) << std::string(1000, 'x');
  auto in = InputFile::Open(path);
  EXPECT_EQ((*in)->ReadAll(100).status().code(), StatusCode::kResourceExhausted);
  fs::remove(path);
}

}  // namespace
}  // namespace ctihub
