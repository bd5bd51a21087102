#include "sim/model/pod_resources.hpp"

#include "propagation/quantity/quantity.hpp"

#include <algorithm>

namespace fedsim::model {

void resource_amounts::add(const resource_amounts& o, int sign) {
    cpu_milli += sign * o.cpu_milli;
    memory += sign * o.memory;
    for (const auto& [k, v] : o.scalar)
        scalar[k] += sign * v;
}

bool resource_amounts::fits_in(const resource_amounts& free) const {
    if (cpu_milli > free.cpu_milli || memory > free.memory)
        return false;
    for (const auto& [k, v] : scalar) {
        if (v <= 0)
            continue;
        auto it = free.scalar.find(k);
        if (it == free.scalar.end() || it->second < v)
            return false;
    }
    return true;
}

std::string resource_amounts::first_shortage(const resource_amounts& free) const {
    if (cpu_milli > free.cpu_milli)
        return "cpu";
    if (memory > free.memory)
        return "memory";
    for (const auto& [k, v] : scalar) {
        if (v <= 0)
            continue;
        auto it = free.scalar.find(k);
        if (it == free.scalar.end() || it->second < v)
            return k;
    }
    return "";
}

std::string format_amount(std::string_view resource, std::int64_t amount) {
    if (resource == "cpu") {
        if (amount % 1000 == 0)
            return std::to_string(amount / 1000);
        return std::to_string(amount) + "m";
    }
    if (resource == "memory" || resource == "ephemeral-storage" ||
        resource.substr(0, 8) == "hugepages") {
        static const char* suffix[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
        if (amount == 0)
            return "0";
        int i = 0;
        std::int64_t v = amount;
        while (i < 6 && v % 1024 == 0) {
            v /= 1024;
            ++i;
        }
        return std::to_string(v) + suffix[i];
    }
    return std::to_string(amount);
}

nlohmann::json resource_amounts::to_json(std::int64_t pods) const {
    nlohmann::json j = nlohmann::json::object();
    j["cpu"] = format_amount("cpu", cpu_milli);
    j["memory"] = format_amount("memory", memory);
    if (pods >= 0)
        j["pods"] = std::to_string(pods);
    for (const auto& [k, v] : scalar)
        j[k] = format_amount(k, v);
    return j;
}

std::int64_t parse_amount(std::string_view resource, const nlohmann::json& value) {
    std::string text;
    if (value.is_string())
        text = value.get<std::string>();
    else if (value.is_number())
        text = value.dump();
    else
        return 0;
    auto q = propagation::quantity::parse(text);
    if (!q)
        return 0;
    return resource == "cpu" ? q->milli_value() : q->value();
}

resource_amounts parse_resource_list(const nlohmann::json& list) {
    resource_amounts out;
    if (!list.is_object())
        return out;
    for (const auto& [k, v] : list.items()) {
        std::int64_t a = parse_amount(k, v);
        if (k == "cpu")
            out.cpu_milli = a;
        else if (k == "memory")
            out.memory = a;
        else if (k != "pods")
            out.scalar[k] = a;
    }
    return out;
}

namespace {

resource_amounts container_requests(const nlohmann::json& c) {
    if (!c.is_object())
        return {};
    auto res = c.find("resources");
    if (res == c.end() || !res->is_object())
        return {};
    nlohmann::json merged = nlohmann::json::object();
    if (auto l = res->find("limits"); l != res->end() && l->is_object())
        merged = *l;
    if (auto r = res->find("requests"); r != res->end() && r->is_object()) {
        for (const auto& [k, v] : r->items())
            merged[k] = v;
    }
    return parse_resource_list(merged);
}

void take_max(resource_amounts& a, const resource_amounts& b) {
    a.cpu_milli = std::max(a.cpu_milli, b.cpu_milli);
    a.memory = std::max(a.memory, b.memory);
    for (const auto& [k, v] : b.scalar)
        a.scalar[k] = std::max(a.scalar[k], v);
}

}  // namespace

resource_amounts pod_requests(const nlohmann::json& spec) {
    resource_amounts sum;
    if (!spec.is_object())
        return sum;
    if (auto cs = spec.find("containers"); cs != spec.end() && cs->is_array()) {
        for (const auto& c : *cs)
            sum.add(container_requests(c));
    }
    if (auto ics = spec.find("initContainers"); ics != spec.end() && ics->is_array()) {
        for (const auto& c : *ics)
            take_max(sum, container_requests(c));
    }
    if (auto o = spec.find("overhead"); o != spec.end())
        sum.add(parse_resource_list(*o));
    return sum;
}

}  // namespace fedsim::model
