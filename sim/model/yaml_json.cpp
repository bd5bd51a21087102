#include "sim/model/yaml_json.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace fedsim::model {

namespace {

nlohmann::json scalar(const YAML::Node& node) {
    const std::string& s = node.Scalar();
    if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str")
        return s;
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL")
        return nullptr;
    if (s == "true" || s == "True" || s == "TRUE")
        return true;
    if (s == "false" || s == "False" || s == "FALSE")
        return false;
    // Integers: decimal (optionally signed), 0x hex, 0o octal.
    {
        std::string_view v = s;
        bool neg = false;
        if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
            neg = v[0] == '-';
            v.remove_prefix(1);
        }
        int base = 10;
        if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'o')) {
            base = v[1] == 'x' ? 16 : 8;
            v.remove_prefix(2);
        }
        if (!v.empty()) {
            std::uint64_t u = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), u, base);
            if (ec == std::errc() && p == v.data() + v.size()) {
                if (!neg &&
                    u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                    return static_cast<std::int64_t>(u);
                }
                if (neg &&
                    u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1) {
                    return static_cast<std::int64_t>(0 - u);
                }
                if (!neg)
                    return u;
            }
        }
    }
    if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf") {
        return std::numeric_limits<double>::infinity();
    }
    if (s == "-.inf" || s == "-.Inf" || s == "-.INF")
        return -std::numeric_limits<double>::infinity();
    if (s == ".nan" || s == ".NaN" || s == ".NAN")
        return s;  // JSON has no NaN
    {
        // Floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
        bool digits = false;
        std::size_t i = 0;
        if (i < s.size() && (s[i] == '-' || s[i] == '+'))
            ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
            ++i;
            digits = true;
        }
        if (i < s.size() && s[i] == '.') {
            ++i;
            while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
                ++i;
                digits = true;
            }
        }
        if (digits && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
            ++i;
            if (i < s.size() && (s[i] == '-' || s[i] == '+'))
                ++i;
            bool exp = false;
            while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
                ++i;
                exp = true;
            }
            if (!exp)
                digits = false;
        }
        if (digits && i == s.size()) {
            try {
                return std::stod(s);
            } catch (const std::exception&) {
                return s;
            }
        }
    }
    return s;
}

nlohmann::json convert(const YAML::Node& node, int depth) {
    if (depth > 128)
        throw std::runtime_error("document nested too deeply");
    switch (node.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            return nullptr;
        case YAML::NodeType::Scalar:
            return scalar(node);
        case YAML::NodeType::Sequence: {
            nlohmann::json arr = nlohmann::json::array();
            for (const auto& item : node)
                arr.push_back(convert(item, depth + 1));
            return arr;
        }
        case YAML::NodeType::Map: {
            nlohmann::json obj = nlohmann::json::object();
            for (const auto& kv : node) {
                obj[kv.first.as<std::string>()] = convert(kv.second, depth + 1);
            }
            return obj;
        }
    }
    return nullptr;
}

}  // namespace

bool yaml_to_json(std::string_view text, std::vector<nlohmann::json>& documents,
                  std::string& error) {
    try {
        auto nodes = YAML::LoadAll(std::string(text));
        for (const auto& n : nodes)
            documents.push_back(convert(n, 0));
    } catch (const YAML::Exception& e) {
        error = "line " + std::to_string(e.mark.line + 1) + ", column " +
                std::to_string(e.mark.column + 1) + ": " + e.msg;
        return false;
    } catch (const std::exception& e) {
        error = e.what();
        return false;
    }
    return true;
}

}  // namespace fedsim::model
