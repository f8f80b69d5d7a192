// Strict parsing of a JSON array of numbers into float32, for the REST layer's search bodies.
//
// Why: a search body is mostly its query vector, and JSON.parse spends most of its time on the
// vector's numbers (about 10 µs for 128 values of 17 significant digits here), on the JavaScript
// thread, which is the node's bottleneck under concurrent searches. std::from_chars (correctly
// rounded, as V8's parser is) reads them in a fraction of that.
//
// The result is exactly what the JavaScript path gives: each number is read as the nearest double,
// as JSON.parse does, then rounded to float32 as storing it into a Float32Array does. Anything the
// JSON grammar does not allow, or that the JavaScript path would refuse or read differently (a
// non-finite float32, a double out of range), makes the parse fail, and the caller falls back to
// JSON.parse, which then gives the usual answer or error.

#include <napi.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <system_error>

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Parses the text between an array's brackets, [p, end), into out[0, capacity). Returns the count
// of numbers, or -1 on anything but whitespace-separated JSON numbers and commas, on a value that
// is not a finite float32, or on more than `capacity` numbers.
//
// std::from_chars reads a superset of JSON's numbers (it also takes "inf", "nan", "01", "1.",
// "1.e5"), so each token it reads is held to JSON's grammar by the checks that tell them apart:
// number = [ "-" ] ( "0" / digit1-9 *digit ) [ "." 1*digit ] [ ( "e" / "E" ) [ "+" / "-" ] 1*digit ].
// An exponent without digits ("1e") is not consumed, and the separator check then refuses it.
int64_t ParseNumbers(const char* p, const char* end, float* out, size_t capacity) {
  size_t count = 0;
  while (p < end && IsJsonSpace(*p)) p++;
  if (p == end) return 0;  // []
  for (;;) {
    const char* digits = (p < end && *p == '-') ? p + 1 : p;
    if (digits == end || !IsDigit(*digits)) return -1;                                   // inf, nan, .5, +1
    if (*digits == '0' && digits + 1 < end && IsDigit(digits[1])) return -1;            // 01
    double value = 0;
    // Integers of up to 15 digits (pixels, counts) are exact in a double: read them directly.
    uint64_t integer = 0;
    const char* q = digits;
    while (q < end && q - digits < 16 && IsDigit(*q)) integer = integer * 10 + static_cast<uint64_t>(*q++ - '0');
    if (q - digits < 16 && (q == end || (*q != '.' && *q != 'e' && *q != 'E' && !IsDigit(*q)))) {
      value = static_cast<double>(integer);
      if (p != digits) value = -value;
      p = q;
    } else {
      const std::from_chars_result read = std::from_chars(p, end, value);
      // Out of double's range (JSON.parse would give ±Infinity or a rounded 0): left to JavaScript.
      if (read.ec != std::errc()) return -1;
      const char* dot = static_cast<const char*>(std::memchr(digits, '.', static_cast<size_t>(read.ptr - digits)));
      if (dot != nullptr && (dot + 1 == read.ptr || !IsDigit(dot[1]))) return -1;       // 1. and 1.e5
      p = read.ptr;
    }
    const float single = static_cast<float>(value);
    if (!std::isfinite(single) || count == capacity) return -1;
    out[count++] = single;
    while (p < end && IsJsonSpace(*p)) p++;
    if (p == end) return static_cast<int64_t>(count);
    if (*p != ',') return -1;
    p++;
    while (p < end && IsJsonSpace(*p)) p++;
  }
}

// parseFloatArray(bytes: Uint8Array, start: number, end: number, out: Float32Array) -> number:
// writes the numbers of the JSON array whose brackets enclose bytes [start, end) to `out` and
// returns their count, or -1 when that text is not such an array of finite float32 values or has
// more than out.length of them (the caller then parses the body with JSON.parse). The values are
// written into the caller's array, as creating one here costs more than the parse.
Napi::Value ParseFloatArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsTypedArray() ||
      info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(env, "expected (bytes: Uint8Array, start: number, end: number, out: Float32Array)");
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  const double start = info[1].As<Napi::Number>().DoubleValue();
  const double end = info[2].As<Napi::Number>().DoubleValue();
  const double length = static_cast<double>(bytes.ElementLength());
  if (!(start >= 0 && start <= end && end <= length) || start != std::floor(start) || end != std::floor(end)) {
    throw Napi::RangeError::New(env, "start and end must be integers with 0 <= start <= end <= bytes.length");
  }
  Napi::Float32Array out = info[3].As<Napi::Float32Array>();
  const char* text = reinterpret_cast<const char*>(bytes.Data());
  const int64_t count = ParseNumbers(text + static_cast<size_t>(start), text + static_cast<size_t>(end), out.Data(), out.ElementLength());
  return Napi::Number::New(env, static_cast<double>(count));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("parseFloatArray", Napi::Function::New<ParseFloatArray>(env, "parseFloatArray"));
  return exports;
}

}  // namespace

NODE_API_MODULE(hektor_json, Init)
