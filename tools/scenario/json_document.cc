#include "tools/scenario/json_document.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace fetch_later::scenario {
namespace {

constexpr int kMaxJsonDepth = 64;

// Reads one document; one parser per call of ParseJsonDocument().
class JsonParser {
 public:
  explicit JsonParser(absl::string_view text) : text_(text) {}

  absl::StatusOr<JsonNode> Parse() {
    JsonNode root;
    SkipWhitespace();
    if (absl::Status s = ParseValue(&root, 0); !s.ok())
      return s;
    SkipWhitespace();
    if (pos_ != text_.size())
      return Error("expected the end of the document, found " + Found());
    return root;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    int line = 1;
    int column = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) {
        ++column;  // count code points, not UTF-8 continuation bytes
      }
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "JSON syntax error at line ", line, ", column ", column, ": ", what));
  }

  std::string Found() const {
    if (pos_ >= text_.size())
      return "the end of the document";
    const char c = text_[pos_];
    if (static_cast<unsigned char>(c) < 0x20)
      return absl::StrCat("byte 0x", absl::Hex(static_cast<unsigned char>(c)));
    return absl::StrCat("'", absl::string_view(&text_[pos_], 1), "'");
  }

  void SkipWhitespace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
            text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool ConsumeLiteral(absl::string_view literal) {
    if (absl::StartsWith(text_.substr(pos_), literal)) {
      pos_ += literal.size();
      return true;
    }
    return false;
  }

  absl::Status ParseValue(JsonNode* out, int depth) {
    if (depth > kMaxJsonDepth)
      return Error("nested too deeply");
    out->begin = pos_;
    absl::Status status;
    if (pos_ >= text_.size()) {
      return Error("expected a value, found the end of the document");
    }
    const char c = text_[pos_];
    if (c == '{') {
      status = ParseObject(out, depth);
    } else if (c == '[') {
      status = ParseArray(out, depth);
    } else if (c == '"') {
      out->kind = JsonNode::Kind::kString;
      status = ParseString(&out->text);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      status = ParseNumber(out);
    } else if (ConsumeLiteral("true")) {
      out->kind = JsonNode::Kind::kBool;
      out->boolean = true;
    } else if (ConsumeLiteral("false")) {
      out->kind = JsonNode::Kind::kBool;
    } else if (ConsumeLiteral("null")) {
      out->kind = JsonNode::Kind::kNull;
    } else {
      return Error("expected a value, found " + Found());
    }
    out->end = pos_;
    return status;
  }

  absl::Status ParseObject(JsonNode* out, int depth) {
    out->kind = JsonNode::Kind::kObject;
    ++pos_;  // '{'
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      if (pos_ >= text_.size() || text_[pos_] != '"')
        return Error("expected a field name in double quotes, found " +
                     Found());
      std::string key;
      if (absl::Status s = ParseString(&key); !s.ok())
        return s;
      SkipWhitespace();
      if (pos_ >= text_.size() || text_[pos_] != ':')
        return Error("expected ':' after a field name, found " + Found());
      ++pos_;
      SkipWhitespace();
      JsonNode value;
      if (absl::Status s = ParseValue(&value, depth + 1); !s.ok())
        return s;
      out->members.emplace_back(std::move(key), std::move(value));
      SkipWhitespace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error("expected ',' or '}' after an object member, found " +
                   Found());
    }
  }

  absl::Status ParseArray(JsonNode* out, int depth) {
    out->kind = JsonNode::Kind::kArray;
    ++pos_;  // '['
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      JsonNode item;
      if (absl::Status s = ParseValue(&item, depth + 1); !s.ok())
        return s;
      out->items.push_back(std::move(item));
      SkipWhitespace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error("expected ',' or ']' after an array element, found " +
                   Found());
    }
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool ParseHex4(uint32_t* out) {
    if (pos_ + 4 > text_.size())
      return false;
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_ + i];
      value <<= 4;
      if (c >= '0' && c <= '9')
        value |= c - '0';
      else if (c >= 'a' && c <= 'f')
        value |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        value |= c - 'A' + 10;
      else
        return false;
    }
    pos_ += 4;
    *out = value;
    return true;
  }

  absl::Status ParseString(std::string* out) {
    ++pos_;  // '"'
    while (true) {
      if (pos_ >= text_.size())
        return Error("unterminated string");
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c < 0x20)
        return Error("control character in a string (escape it)");
      if (c != '\\') {
        *out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= text_.size())
        return Error("unterminated string");
      const char escape = text_[pos_++];
      switch (escape) {
        case '"':
          *out += '"';
          break;
        case '\\':
          *out += '\\';
          break;
        case '/':
          *out += '/';
          break;
        case 'b':
          *out += '\b';
          break;
        case 'f':
          *out += '\f';
          break;
        case 'n':
          *out += '\n';
          break;
        case 'r':
          *out += '\r';
          break;
        case 't':
          *out += '\t';
          break;
        case 'u': {
          uint32_t cp;
          if (!ParseHex4(&cp))
            return Error("\\u must be followed by four hex digits");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low;
            if (!ConsumeLiteral("\\u") || !ParseHex4(&low) || low < 0xDC00 ||
                low > 0xDFFF) {
              return Error("unpaired UTF-16 surrogate in \\u escape");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Error("unpaired UTF-16 surrogate in \\u escape");
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          --pos_;
          return Error("invalid escape in a string");
      }
    }
  }

  absl::Status ParseNumber(JsonNode* out) {
    out->kind = JsonNode::Kind::kNumber;
    const size_t start = pos_;
    auto digit = [&] {
      return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9';
    };
    if (text_[pos_] == '-')
      ++pos_;
    if (!digit())
      return Error("expected a digit, found " + Found());
    if (text_[pos_] == '0') {
      ++pos_;
    } else {
      while (digit())
        ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!digit())
        return Error("expected a digit after '.', found " + Found());
      while (digit())
        ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-'))
        ++pos_;
      if (!digit())
        return Error("expected a digit in the exponent, found " + Found());
      while (digit())
        ++pos_;
    }
    out->text = std::string(text_.substr(start, pos_ - start));
    return absl::OkStatus();
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<JsonNode> ParseJsonDocument(absl::string_view text) {
  return JsonParser(text).Parse();
}

}  // namespace fetch_later::scenario
