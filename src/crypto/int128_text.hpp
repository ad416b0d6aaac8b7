// Decimal text <-> 128-bit integers, with overflow checks. Used to move exact
// values between PostgreSQL numeric text and field elements.
#pragma once

#include <string>
#include <string_view>

#include "crypto/field.hpp"

namespace smpc::crypto {

std::string i128_to_string(i128 v);
// Parses an optional sign and decimal digits. Returns false on any other
// character, on an empty string, or when the value does not fit in i128.
bool parse_i128(std::string_view s, i128* out);

// Converts a plain decimal string ("-12.345", "7", no exponent) to the integer
// value * 10^scale. Returns false when the text is malformed, when it has
// more than `scale` fractional digits (after dropping trailing zeros), or when
// the scaled value does not fit in i128.
bool parse_scaled_decimal(std::string_view s, int scale, i128* out);
// Inverse: v / 10^scale as plain decimal text with exactly `scale` digits
// after the point (no point when scale is 0).
std::string format_scaled_decimal(i128 v, int scale);

}  // namespace smpc::crypto
