#include "common/input_file.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

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
