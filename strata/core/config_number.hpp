// config_number: a float option as the double with the shortest decimal form that reads back as
// the same float, so configs say 0.3 rather than 0.30000001192092896.
//
//   nlohmann::json c; c["rate"] = config_number(0.3f);   // 0.3
#pragma once

namespace strata {

double config_number(float value);

}  // namespace strata
