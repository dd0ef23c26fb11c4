// JSONata's clauses over an input document, with cases from the jsonata-js test suite's groups (sorting,
// object-constructor, parent-operator, flattening, context, variables, function-tomillis): the order-by
// clause `^( )`, the group-by clause `{ }` after a path, `%` through blocks, the root input `$$`, and
// week-based components in $toMillis pictures. Each case gives the input (one of the suite's datasets, or
// inline data), the expression and the result: JSON, "undefined", or the error code the suite expects.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <string>

#include "services/states/asl/jsonata.hpp"

namespace cenote::states::asl {
namespace {

namespace json = boost::json;

// The suite's dataset5: an account with two orders of two products each.
const char* kDataset5 = R"j({"Account": {"Account Name": "Firefly", "Order": [
  {"OrderID": "order103", "Product": [
    {"Product Name": "Bowler Hat", "ProductID": 858383, "SKU": "0406654608",
     "Description": {"Colour": "Purple", "Width": 300, "Height": 200, "Depth": 210, "Weight": 0.75},
     "Price": 34.45, "Quantity": 2},
    {"Product Name": "Trilby hat", "ProductID": 858236, "SKU": "0406634348",
     "Description": {"Colour": "Orange", "Width": 300, "Height": 200, "Depth": 210, "Weight": 0.6},
     "Price": 21.67, "Quantity": 1}]},
  {"OrderID": "order104", "Product": [
    {"Product Name": "Bowler Hat", "ProductID": 858383, "SKU": "040657863",
     "Description": {"Colour": "Purple", "Width": 300, "Height": 200, "Depth": 210, "Weight": 0.75},
     "Price": 34.45, "Quantity": 4},
    {"ProductID": 345664, "SKU": "0406654603", "Product Name": "Cloak",
     "Description": {"Colour": "Black", "Width": 30, "Height": 20, "Depth": 210, "Weight": 2},
     "Price": 107.99, "Quantity": 1}]}]}})j";

// dataset1 (its Phone list), dataset0, dataset8 and the library dataset.
const char* kDataset1 = R"j({"FirstName": "Fred", "Surname": "Smith", "Phone": [
  {"type": "home", "number": "0203 544 1234"}, {"type": "office", "number": "01962 001234"},
  {"type": "office", "number": "01962 001235"}, {"type": "mobile", "number": "077 7700 1234"}]})j";
const char* kDataset0 = R"j({"foo": {"bar": 42, "blah": [{"baz": {"fud": "hello"}}, {"baz": {"fud": "world"}},
  {"bazz": "gotcha"}], "blah.baz": "here"}, "bar": 98})j";
const char* kDataset8 = R"j({"nest0": [
  {"nest1": [{"nest2": [{"nest3": [1]}, {"nest3": [2]}]}, {"nest2": [{"nest3": [3]}, {"nest3": [4]}]}]},
  {"nest1": [{"nest2": [{"nest3": [5]}, {"nest3": [6]}]}, {"nest2": [{"nest3": [7]}, {"nest3": [8]}]}]}]})j";
const char* kLibrary = R"j({"library": {
  "books": [
    {"title": "Structure and Interpretation of Computer Programs", "isbn": "9780262510875", "price": 38.9},
    {"title": "The C Programming Language", "isbn": "9780131103627", "price": 33.59}],
  "loans": [{"customer": "10001", "isbn": "9780262510875", "return": "2016-12-05"}],
  "customers": [{"id": "10001", "name": "Joe Doe"}]}})j";
const char* kPeople =
    R"j([{"name": "Bill", "age": 35}, {"name": "Sally", "age": 33}, {"name": "Jim", "age": 42}])j";

// JSON equality with numbers equal within a few units in the last place (boost::json parses the expected
// text's numbers to within one).
bool Same(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    const double x = a.to_number<double>(), y = b.to_number<double>();
    return std::fabs(x - y) <=
           4 * std::numeric_limits<double>::epsilon() * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.is_array() && b.is_array()) {
    const auto &x = a.as_array(), &y = b.as_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!Same(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object() && b.is_object()) {
    if (a.as_object().size() != b.as_object().size()) return false;
    for (const auto& [k, v] : a.as_object()) {
      const json::value* other = b.as_object().if_contains(k);
      if (other == nullptr || !Same(v, *other)) return false;
    }
    return true;
  }
  return a == b;
}

struct Case {
  std::string expr;
  const char* want;  // JSON, "undefined", an error code ("T2007"), or "error" (any)
};

// Evaluates every case over `input` (nullopt: no input) and checks its result.
void CheckOver(const std::optional<json::value>& input, std::initializer_list<Case> cases,
               const json::object& variables = {}) {
  for (const auto& c : cases) {
    auto r = EvaluateJsonata(c.expr, variables, input);
    const std::string want = c.want;
    const bool code = want.size() == 5 && std::isupper(static_cast<unsigned char>(want[0])) &&
                      std::all_of(want.begin() + 1, want.end(), [](char ch) { return std::isdigit(ch); });
    if (code || want == "error") {
      ASSERT_FALSE(r.ok()) << c.expr << " gave "
                           << (r.ok() && r->has_value() ? json::serialize(**r) : std::string("undefined"));
      EXPECT_EQ(r.error().code, "States.QueryEvaluationError") << c.expr;
      if (code) {
        EXPECT_NE(r.error().message.find(want), std::string::npos) << c.expr << ": " << r.error().message;
      }
      continue;
    }
    ASSERT_TRUE(r.ok()) << c.expr << ": " << r.error().message;
    if (want == "undefined") {
      EXPECT_FALSE(r->has_value()) << c.expr << " gave " << json::serialize(**r);
      continue;
    }
    ASSERT_TRUE(r->has_value()) << c.expr << " gave undefined";
    EXPECT_TRUE(Same(**r, json::parse(want)))
        << c.expr << " gave " << json::serialize(**r) << ", not " << want;
  }
}

void CheckOver(const char* input, std::initializer_list<Case> cases, const json::object& variables = {}) {
  CheckOver(std::optional<json::value>(json::parse(input)), cases, variables);
}

// dataset5 with the price of one product changed (the suite's datasets 12 to 17).
json::value PricedDataset5(std::size_t order, std::size_t product,
                           const std::function<void(json::object&)>& f) {
  json::value d = json::parse(kDataset5);
  f(d.at("Account").at("Order").at(order).at("Product").at(product).as_object());
  return d;
}

TEST(JsonataOrderBy, SortsTheStream) {
  CheckOver(kDataset5,
            {
                {"Account.Order.Product.Price^($)", "[21.67, 34.45, 34.45, 107.99]"},
                {"Account.Order.Product.Price^(<$)", "[21.67, 34.45, 34.45, 107.99]"},
                {"Account.Order.Product.Price^(>$)", "[107.99, 34.45, 34.45, 21.67]"},
                {"Account.Order.Product^(Price).Description.Colour",
                 R"j(["Orange", "Purple", "Purple", "Black"])j"},
                {"Account.Order.Product^(Price).SKU",
                 R"j(["0406634348", "0406654608", "040657863", "0406654603"])j"},
                {"Account.Order.Product^(Price * Quantity).Description.Colour",
                 R"j(["Orange", "Purple", "Black", "Purple"])j"},
                {"Account.Order.Product^(Quantity, Description.Colour).Description.Colour",
                 R"j(["Black", "Orange", "Purple", "Purple"])j"},
                {"Account.Order.Product^(Quantity, >Description.Colour).Description.Colour",
                 R"j(["Orange", "Black", "Purple", "Purple"])j"},
                // Stable: equal keys keep their order.
                {"Account.Order.Product^(`Product Name`).SKU",
                 R"j(["0406654608", "040657863", "0406654603", "0406634348"])j"},
                {"Account.Order.Product^(>`Product Name`).SKU",
                 R"j(["0406634348", "0406654603", "0406654608", "040657863"])j"},
                // Bindings and the parent operator within the clause.
                {"Account.Order#$o.Product^(ProductID).{ 'Product': `Product Name`, 'Order Index': $o }",
                 R"j([{"Product": "Cloak", "Order Index": 1}, {"Product": "Trilby hat", "Order Index": 0},
                                {"Product": "Bowler Hat", "Order Index": 0},
                                {"Product": "Bowler Hat", "Order Index": 1}])j"},
                {"Account.Order#$o.Product^(>$o, Price).SKU",
                 R"j(["040657863", "0406654603", "0406634348", "0406654608"])j"},
                {"Account.Order.Product.SKU^(%.Price)",
                 R"j(["0406634348", "0406654608", "040657863", "0406654603"])j"},
                {"Account.Order.Product.SKU^(%.Price, >%.%.OrderID)",
                 R"j(["0406634348", "040657863", "0406654608", "0406654603"])j"},
                {"Account.Order.Product^(Price)#$i[$i < 2].SKU", R"j(["0406634348", "0406654608"])j"},
                {"Account.Order.Product^(Price)[-1].SKU", R"j("0406654603")j"},
                {"Account.Order.Product^(Price)@$p", "S0216"},
                {"Account.Order.Product^(Price", "error"},
                {"Account.Order.Product^()", "error"},
            });
}

TEST(JsonataOrderBy, MissingAndMixedKeys) {
  // A missing key sorts last (datasets 12, 13, 14); a string among numbers is T2007 (dataset 15); a
  // boolean or null key is T2008 (datasets 16, 17).
  auto without = [](json::object& p) { p.erase("Price"); };
  CheckOver(PricedDataset5(0, 0, without),
            {{"Account.Order.Product^(Price).SKU",
              R"j(["0406634348", "040657863", "0406654603", "0406654608"])j"}});
  CheckOver(
      PricedDataset5(0, 1, without),
      {{"Account.Order.Product^(Price).SKU", R"j(["0406654608", "040657863", "0406654603", "0406634348"])j"},
       {"Account.Order.Product^(>Price).SKU",
        R"j(["0406654603", "0406654608", "040657863", "0406634348"])j"}});
  json::value both = PricedDataset5(0, 0, without);
  both.at("Account").at("Order").at(0).at("Product").at(1).as_object().erase("Price");
  CheckOver(both, {{"Account.Order.Product^(Price).SKU",
                    R"j(["040657863", "0406654603", "0406654608", "0406634348"])j"}});
  CheckOver(PricedDataset5(0, 0, [](json::object& p) { p["Price"] = "foo"; }),
            {{"Account.Order.Product^(Price).SKU", "T2007"}});
  CheckOver(PricedDataset5(0, 0, [](json::object& p) { p["Price"] = true; }),
            {{"Account.Order.Product^(Price).SKU", "T2008"}});
  CheckOver(PricedDataset5(0, 1, [](json::object& p) { p["Price"] = nullptr; }),
            {{"Account.Order.Product^(Price).SKU", "T2008"}});
  // The second term is only compared on ties of the first.
  CheckOver(kDataset5, {{"Account.Order.Product^(ProductID, Description).SKU", "T2008"},
                        {"Account.Order.Product^(SKU, Description).SKU",
                         R"j(["040657863", "0406634348", "0406654603", "0406654608"])j"}});
}

TEST(JsonataOrderBy, OverTheInput) {
  CheckOver(kPeople, {
                         {"$^(age).name", R"j(["Sally", "Bill", "Jim"])j"},
                         {"($^(age)).name", R"j(["Sally", "Bill", "Jim"])j"},
                         {"$^(age)[0].name", R"j("Sally")j"},
                         {"($^(age))[0].name", R"j("Sally")j"},
                         {"($^(age)[0]).name", R"j("Sally")j"},
                         {"$[0]^(age)", R"j({"name": "Bill", "age": 35})j"},
                         {"$^(>name).age", "[33, 42, 35]"},
                         {"$^($uppercase(name))[1].name", R"j("Jim")j"},
                     });
  // In a Step Functions expression, over a variable.
  CheckOver(std::nullopt, {{"$p^(>age).name", R"j(["Jim", "Bill", "Sally"])j"}},
            json::object{{"p", json::parse(kPeople)}});
}

TEST(JsonataGroupBy, GroupsAPathsItems) {
  CheckOver(
      kDataset5,
      {
          {"Account.Order{OrderID: Product.\"Product Name\"}",
           R"j({"order103": ["Bowler Hat", "Trilby hat"], "order104": ["Bowler Hat", "Cloak"]})j"},
          {"Account.Order.{OrderID: Product.\"Product Name\"}",
           R"j([{"order103": ["Bowler Hat", "Trilby hat"]}, {"order104": ["Bowler Hat", "Cloak"]}])j"},
          {"Account.Order.Product{$string(ProductID): Price}",
           R"j({"345664": 107.99, "858236": 21.67, "858383": [34.45, 34.45]})j"},
          {"Account.Order.Product{$string(ProductID): (Price)[0]}",
           R"j({"345664": 107.99, "858236": 21.67, "858383": 34.45})j"},
          {"Account.Order.Product.{$string(ProductID): Price}",
           R"j([{"858383": 34.45}, {"858236": 21.67}, {"858383": 34.45}, {"345664": 107.99}])j"},
          {"Account.Order.Product{ProductID: \"Product Name\"}", "T1003"},
          {"Account.Order.Product.{ProductID: \"Product Name\"}", "T1003"},
          {"Account.Order{OrderID: $sum(Product.(Price*Quantity))}",
           R"j({"order103": 90.57000000000001, "order104": 245.79000000000002})j"},
          {"Account.Order.{OrderID: $sum(Product.(Price*Quantity))}",
           R"j([{"order103": 90.57000000000001}, {"order104": 245.79000000000002}])j"},
          {"Account.Order.Product{$.\"Product Name\": Price, $.\"Product Name\": Price}", "D1009"},
          {"Account.Order.Product{`Product Name`: Price, SKU: Price}",
           R"j({"Bowler Hat": [34.45, 34.45], "0406654608": 34.45, "Trilby hat": 21.67, "0406634348": 21.67,
           "040657863": 34.45, "Cloak": 107.99, "0406654603": 107.99})j"},
          {"Account.Order{  OrderID: {    \"TotalPrice\":$sum(Product.(Price * Quantity)),    \"Items\": "
           "Product.\"Product Name\"  }}",
           R"j({"order103": {"TotalPrice": 90.57000000000001, "Items": ["Bowler Hat", "Trilby hat"]},
           "order104": {"TotalPrice": 245.79000000000002, "Items": ["Bowler Hat", "Cloak"]}})j"},
          // Reduce: the value is evaluated over each group's items.
          {"Account.Order.Product{`Product Name`: $sum(Quantity)}",
           R"j({"Bowler Hat": 6, "Trilby hat": 1, "Cloak": 1})j"},
          {"Account.Order.Product{Description.Colour: $count($)}",
           R"j({"Purple": 2, "Orange": 1, "Black": 1})j"},
          {"Account.Order.Product[Price > 30]{`Product Name`: SKU}",
           R"j({"Bowler Hat": ["0406654608", "040657863"], "Cloak": "0406654603"})j"},
          {"Account.Order.Product^(>Price){`Product Name`: Price}",
           R"j({"Cloak": 107.99, "Bowler Hat": [34.45, 34.45], "Trilby hat": 21.67})j"},
          // A missing key leaves the item out; an empty stream gives no object.
          {"Account.Order.Product{Missing: Price}", "{}"},
          {"Account.Nothing{'n': 1}", R"j({"n": 1})j"},
          {"Account.Nothing{OrderID: 1}", "{}"},
          {"blah.{}", "undefined"},
          {"{\"test\": ()}", "{}"},
          // In a tuple stream the items' bindings are joined per group.
          {"Account.Order#$o.Product{`Product Name`: $o}",
           R"j({"Bowler Hat": [0, 1], "Trilby hat": 0, "Cloak": 1})j"},
          {"Account.Order#$i.Product{$string($i): $sum(Quantity)}", R"j({"0": 3, "1": 5})j"},
          {"Account.Order.Product{%.OrderID: `Product Name`}",
           R"j({"order103": ["Bowler Hat", "Trilby hat"], "order104": ["Bowler Hat", "Cloak"]})j"},
          {"Account.Order.Product{'n': 1}{'m': 2}", "error"},
      });
  CheckOver(kDataset1, {
                           {"Phone{type: $join(number, \", \"), \"phone\":number}",
                            R"j({"home": "0203 544 1234",
           "phone": ["0203 544 1234", "01962 001234", "01962 001235", "077 7700 1234"],
           "office": "01962 001234, 01962 001235", "mobile": "077 7700 1234"})j"},
                           {"Phone{type: number}",
                            R"j({"home": "0203 544 1234", "office": ["01962 001234", "01962 001235"],
           "mobile": "077 7700 1234"})j"},
                           {"Phone{type: number[]}",
                            R"j({"home": ["0203 544 1234"], "office": ["01962 001234", "01962 001235"],
           "mobile": ["077 7700 1234"]})j"},
                       });
  const char* kinds = R"j([{"type": "a", "kind": "a", "value": 0}, {"type": "a", "kind": "b", "value": 1},
                           {"type": "b", "kind": "a", "value": 2}, {"type": "b", "kind": "b", "value": 3}])j";
  CheckOver(kinds, {
                       {"$.{ type: $average(value), kind: $sum(value) } ", "D1009"},
                       {"{ type: $average(value), kind: $sum(value) } ", "T1003"},
                       {"${ type: $average(value) }", R"j({"a": 0.5, "b": 2.5})j"},
                       {"${ type: $count($), kind: $sum(value) }", "D1009"},
                   });
  CheckOver("[]", {{"$${id:{'label':label,'value':value}}", "{}"},
                   {"{'Hello':'World'}", R"j({"Hello": "World"})j"},
                   {"$.{'Hello':'World'}", "undefined"}});
  // JavaScript's member order: array-index keys first, ascending.
  CheckOver(std::nullopt,
            {{"$string({'b': 1, '10': 2, 'a': 3, '2': 4})", R"j("{\"2\":4,\"10\":2,\"b\":1,\"a\":3}")j"}});
}

TEST(JsonataParent, ThroughBlocksAndPaths) {
  const char* object = R"j({'Product': `Product Name`, 'Order': %.OrderID, 'Account': %.%.`Account Name`})j";
  const char* want = R"j([{"Product": "Bowler Hat", "Order": "order103", "Account": "Firefly"},
      {"Product": "Trilby hat", "Order": "order103", "Account": "Firefly"},
      {"Product": "Bowler Hat", "Order": "order104", "Account": "Firefly"},
      {"Product": "Cloak", "Order": "order104", "Account": "Firefly"}])j";
  const char* weights = R"j([{"order": "order103", "Product": "Bowler Hat", "Weight": 0.75},
      {"order": "order103", "Product": "Trilby hat", "Weight": 0.6},
      {"order": "order104", "Product": "Bowler Hat", "Weight": 0.75},
      {"order": "order104", "Product": "Cloak", "Weight": 2}])j";
  const std::string weight =
      "{ \"order\": %.OrderID, \"Product\": `Product Name`, \"Weight\": Description.Weight }";
  CheckOver(kDataset5,
            {
                {"Account.Order.Product." + weight, weights},
                {"Account.(Order.Product)." + weight, weights},
                {std::string("Account.Order.Product.") + object, want},
                {std::string("Account.Order.(Product).") + object, want},
                {std::string("Account.(Order.(Product)).") + object, want},
                {std::string("Account.(Order).(Product).") + object, want},
                {std::string("(Account.Order).(Product).") + object, want},
                {"(Account.Order.Product)[%.OrderID='order104'].SKU", R"j(["040657863", "0406654603"])j"},
                {"Account.Order.().%", "undefined"},
                {"Account.Order.Product.Description.{ 'Colour': Colour, 'Total': %.Price * %.Quantity }",
                 R"j([{"Colour": "Purple", "Total": 68.9}, {"Colour": "Orange", "Total": 21.67},
           {"Colour": "Purple", "Total": 137.8}, {"Colour": "Black", "Total": 107.99}])j"},
                {"Account.Order.Product.Description.{ 'Item': Colour & ' ' & %.`Product Name`, 'Discounted': "
                 "(%.%.OrderID = 'order103') ? %.Price / 2 : %.Price }",
                 R"j([{"Item": "Purple Bowler Hat", "Discounted": 17.225},
           {"Item": "Orange Trilby hat", "Discounted": 10.835},
           {"Item": "Purple Bowler Hat", "Discounted": 34.45},
           {"Item": "Black Cloak", "Discounted": 107.99}])j"},
                {"Account.( $o := Order; $o.Product ).%.OrderID",
                 R"j(["order103", "order103", "order104", "order104"])j"},
                {"Account.(Order.Product[Price > 100]).%.OrderID", R"j("order104")j"},
                {"Account.Order.(Product#$i)[$i = 1].%.OrderID", R"j(["order103", "order104"])j"},
                // `%` cannot climb through a function call, a variable or a constructor.
                {"Account.Order.$count(Product).%", "error"},
                {"{'hello': 'world'}.%", "error"},
                {"$.%", "error"},
                {"$$.%", "error"},
                {"Account.Order.Product.{'a': 1}.%", "error"},
                {"%", "error"},
            });
  CheckOver(kLibrary, {{"library.loans.%.%.%", "error"},
                       {"library.loans.%.%", kLibrary},
                       {"library.loans@$L.books@$B[$L.isbn=$B.isbn]{$B.title: $L.customer}",
                        R"j({"Structure and Interpretation of Computer Programs": "10001"})j"}});
}

TEST(JsonataRoot, DollarDollarIsTheInput) {
  CheckOver(
      kDataset5,
      {
          {"$$.Account.`Account Name`", R"j("Firefly")j"},
          {"Account.Order.Product[0].{ 'sku': SKU, 'account': $$.Account.`Account Name` }",
           R"j([{"sku": "0406654608", "account": "Firefly"}, {"sku": "040657863", "account": "Firefly"}])j"},
          {"Account.Order.Product[Price > $average($$.Account.Order.Product.Price)].SKU",
           R"j("0406654603")j"},
          {"$map(Account.Order, function($o) { $o.OrderID & '@' & $$.Account.`Account Name` })",
           R"j(["order103@Firefly", "order104@Firefly"])j"},
          {"( $f := function() { $count($$.Account.Order) }; $g := function() { $f() }; $g() )", "2"},
          {"Account.Order.Product^($$.Account.`Account Name` & SKU)[0].SKU", R"j("040657863")j"},
          {"$eval('$$.x', {'x': 5})", "5"},
          {"$eval('$count($$.Account.Order)')", "2"},
      });
  CheckOver(std::nullopt, {{"$$", "undefined"}, {"$$.a", "undefined"}});
}

TEST(JsonataContext, TheInputAsContext) {
  CheckOver("\"5\"", {{"$number()", "5"}});
  CheckOver(std::nullopt,
            {{"[1..5].$string()", R"j(["1", "2", "3", "4", "5"])j"},
             {"[1..5].(\"Item \" & $string())", R"j(["Item 1", "Item 2", "Item 3", "Item 4", "Item 5"])j"}});
  CheckOver(kDataset5, {{"Account.Order.Product.\"Product Name\".$uppercase().$substringBefore(\" \")",
                         R"j(["BOWLER", "TRILBY", "BOWLER", "CLOAK"])j"}});
  CheckOver(kDataset0,
            {{"$.foo.bar", "42"},
             {"$price.foo.bar", "45"},
             {"$a := 5", "5"},
             {"$a := $b := 5", "5"},
             {"($a := $b := 5; $a)", "5"},
             {"($a := $b := 5; $b)", "5"},
             {"( $a := 5; $a := $a + 2; $a )", "7"},
             {"[1,2,3].$v", "undefined"},
             {"( $foo := \"defined\"; ( $foo := nothing ); $foo )", R"j("defined")j"},
             {"( $foo := \"defined\"; ( $foo := nothing; $foo ) )", "undefined"}},
            json::object{{"price", json::object{{"foo", json::object{{"bar", 45}}}}}});
}

TEST(JsonataFlattening, AnArrayInputIsOneItem) {
  const char* phones =
      R"j([{"phone": [{"number": 0}]}, {"phone": [{"number": 1}]}, {"phone": [{"number": 2}]}])j";
  CheckOver(phones, {{"phone", R"j([{"number": 0}, {"number": 1}, {"number": 2}])j"},
                     {"phone[0]", R"j({"number": 0})j"},
                     {"phone[0][]", R"j([{"number": 0}])j"},
                     {"phone[0].number", "0"},
                     {"(phone)[0].number", "0"},
                     {"$.phone[0].number", "[0, 1, 2]"}});
  const char* nests = R"j([{"nest0": [1, 2]}, {"nest0": [3, 4]}])j";
  CheckOver(nests, {{"$.nest0", "[1, 2, 3, 4]"},
                    {"nest0", "[1, 2, 3, 4]"},
                    {"$[0]", R"j({"nest0": [1, 2]})j"},
                    {"$[1]", R"j({"nest0": [3, 4]})j"},
                    {"$[-1]", R"j({"nest0": [3, 4]})j"},
                    {"$[0].nest0", "[1, 2]"},
                    {"$[1].nest0", "[3, 4]"},
                    {"$[0].nest0[0]", "1"}});
  CheckOver(kDataset8,
            {{"nest0.[nest1.[nest2.[nest3]]]", "[[[[1], [2]], [[3], [4]]], [[[5], [6]], [[7], [8]]]]"},
             {"nest0.nest1.[nest2.[nest3]]", "[[[1], [2]], [[3], [4]], [[5], [6]], [[7], [8]]]"},
             {"nest0.[nest1.nest2.[nest3]]", "[[[1], [2], [3], [4]], [[5], [6], [7], [8]]]"},
             {"nest0.[nest1.[nest2.nest3]]", "[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]"},
             {"nest0.[nest1.nest2.nest3]", "[[1, 2, 3, 4], [5, 6, 7, 8]]"},
             {"nest0.nest1.[nest2.nest3]", "[[1, 2], [3, 4], [5, 6], [7, 8]]"},
             {"nest0.nest1.nest2.[nest3]", "[[1], [2], [3], [4], [5], [6], [7], [8]]"},
             {"nest0.nest1.nest2.nest3", "[1, 2, 3, 4, 5, 6, 7, 8]"}});
  const char* ab = R"j([{"a": [{"b": [1]}, {"b": [2]}]}, {"a": [{"b": [3]}, {"b": [4]}]}])j";
  CheckOver(ab, {{"a[0].b", "[1]"}, {"$.a[0].b", "[1, 3]"}, {"a.b[0]", "[1, 2, 3, 4]"}});
  CheckOver("[{\"a\": [1, 2]}, {\"a\": [3]}]", {{"a", "[1, 2, 3]"}});
  CheckOver("{\"a\": [[1]]}", {{"a", "[[1]]"}});
  CheckOver(kDataset1, {{"Phone[type=\"mobile\"].number", R"j("077 7700 1234")j"},
                        {"Phone[type=\"mobile\"][].number", R"j(["077 7700 1234"])j"},
                        {"Phone[][type=\"mobile\"].number", R"j(["077 7700 1234"])j"},
                        {"Phone[type=\"office\"][].number", R"j(["01962 001234", "01962 001235"])j"}});
  CheckOver(R"j([{"type": "command"}, {"type": "commands"}])j",
            {{"$[type='command'][]", R"j([{"type": "command"}])j"},
             {"$[][type='command']", R"j([{"type": "command"}])j"}});
  CheckOver("[0, 0, 5, 0]", {{"$filter($, function($e) { $e != 0 })[]", "[5]"}});
  CheckOver(R"j({"tags": [{"title": "example", "description": "Hello"}]})j",
            {{"$.tags[title='example'][]", R"j([{"title": "example", "description": "Hello"}])j"}});
  CheckOver(R"j([{"epochSeconds": 1578381600, "value": 3}, {"epochSeconds": 1578381700, "value": 5}])j",
            {{"$.[value,epochSeconds]", "[[3, 1578381600], [5, 1578381700]]"},
             {"$.[value,epochSeconds][]", "[[3, 1578381600], [5, 1578381700]]"}});
  CheckOver(
      R"j([{"epochSeconds": 1578381600, "value": 3}])j",
      {{"$.[value,epochSeconds]", "[3, 1578381600]"}, {"$.[value,epochSeconds][]", "[[3, 1578381600]]"}});
}

TEST(JsonataFormat, ToMillisWeekComponents) {
  // As the reference implementation: a date given by week ({X, W} or {X, x, w}, with a day of the week)
  // cannot be parsed (D3136); beside a year-month-day date the week components are read and ignored.
  CheckOver(
      std::nullopt,
      {
          {"$toMillis('2018-W05-3', '[X0001]-W[W01]-[F1]')", "D3136"},
          {"$toMillis('W05', 'W[W01]')", "D3136"},
          {"$toMillis('2018 1 2', '[X] [x] [w]')", "D3136"},
          {"$toMillis('2 Monday', '[w] [FNn]')", "D3136"},
          {"$toMillis('2018-02-05 week 6', '[Y0001]-[M01]-[D01] week [W]')", "1517788800000"},
          {"$toMillis('2018-02-05 (2018-W06)', '[Y0001]-[M01]-[D01] ([X0001]-W[W01])')", "1517788800000"},
          {"$toMillis('2018-02-05 week six', '[Y0001]-[M01]-[D01] week [Ww]')", "1517788800000"},
          {"$toMillis('2018-02-05 week x', '[Y0001]-[M01]-[D01] week [W]')", "undefined"},
          {"$fromMillis(1517788800000, '[X0001]-W[W01]-[F1]')", R"j("2018-W06-1")j"},
      });
}

TEST(JsonataFunctions, Shuffle) {
  CheckOver(kDataset1, {{"$count($shuffle([1..10]))", "10"},
                        {"$sort($shuffle([1..10]))", "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"},
                        {"$shuffle(nothing)", "undefined"},
                        {"$shuffle([1])", "[1]"},
                        {"$shuffle(1)", "[1]"},
                        // A permutation of 100 items is the identity once in 100! draws.
                        {"$shuffle([1..100]) = [1..100]", "false"},
                        {"$map([1..3], $shuffle) ~> $count()", "3"}});
}

TEST(JsonataStrings, NumbersAsJavaScriptWritesThem) {
  // $string and & write numbers rounded to 15 significant digits, as JavaScript writes them
  // (function-string, string-concat).
  CheckOver(kDataset5,
            {
                {"$string(5)", R"j("5")j"},
                {"$string(22/7)", R"j("3.14285714285714")j"},
                {"$string(1e100)", R"j("1e+100")j"},
                {"$string(1e-100)", R"j("1e-100")j"},
                {"$string(1e-6)", R"j("0.000001")j"},
                {"$string(1e-7)", R"j("1e-7")j"},
                {"$string(1e20)", R"j("100000000000000000000")j"},
                {"$string(1e21)", R"j("1e+21")j"},
                {"$string(-1.5e-9)", R"j("-1.5e-9")j"},
                {"$string(0.1 + 0.2)", R"j("0.3")j"},
                {"Account.Order.$string($sum(Product.(Price* Quantity)))", R"j(["90.57", "245.79"])j"},
                {"'Price: ' & Account.Order[0].Product[0].Price", R"j("Price: 34.45")j"},
                {"$join(['a', $string(0.5)], '-')", R"j("a-0.5")j"},
                {"$string($string)", R"j("")j"},
                {"$string(function(){true})", R"j("")j"},
                {"$string({'number': 78.8 / 2, 'function': $sum, 'lambda': function(){true}, "
                 "'array': [1.5, 'a'], 'nothing': null})",
                 R"j("{\"number\":39.4,\"function\":\"\",\"lambda\":\"\",)j"
                 R"j(\"array\":[1.5,\"a\"],\"nothing\":null}")j"},
                {"1/0", "D1001"},
                {"$string(1/0)", "D1001"},
            });
}

TEST(JsonataSyntax, CommentsEscapesBlocksAndConstructors) {
  CheckOver(std::nullopt,
            {
                {"/* header comment */\n1 + 1\n", "2"},
                {"$substring('Hello, world', 0 /* start at index 0 */, 5/*length*/)\n", R"j("Hello")j"},
                {"$substring('Hello, world', 0, 5)\n/* trailing comment, never closed\n", "S0106"},
                {"(1; 2; 3;)", "3"},
                {"($a:=1; $b:=2; $c:=($a:=4; $a+$b); $a+$c)", "7"},
                {R"j("hello\tworld")j", R"j("hello\tworld")j"},
                {R"j("hello \"world\"")j", R"j("hello \"world\"")j"},
                {R"j("C:\\Test\\test.txt")j", R"j("C:\\Test\\test.txt")j"},
                {R"j("\u03BB-calculus rocks")j", R"j("\u03bb-calculus rocks")j"},
                {R"j("\ud834\udd1e")j", R"j("\ud834\udd1e")j"},
                {R"j("\b\f\/")j", R"j("\b\f/")j"},
                {R"j("\y")j", "S0103"},
                {R"j("\u")j", "S0104"},
                {R"j("\u123t")j", "S0104"},
                {"10e1000", "S0102"},
                {"6.022e23", "6.022e23"},
                {"`no closing backtick", "S0105"},
                // Predicates on an array constructor select among its items.
                {"[1, 2, 3][0]", "1"},
                {"[1, 2, [3, 4]][-1]", "[3, 4]"},
                {"[0,1,2,3,4,5,6,7,8,9][$ % 2 = 0]", "[0, 2, 4, 6, 8]"},
                {"[1, 2, 3].$", "[1, 2, 3]"},
                // $split's limit.
                {R"j($split("a, b, c, d", ", ", 2.5))j", R"j(["a", "b"])j"},
                {R"j($split("a, b, c, d", ", ", 0))j", "[]"},
                {R"j($split("a, b, c, d", ", ", -3))j", "D3020"},
                {R"j($split("a, b, c, d", ", ", null))j", "T0410"},
                {"$split('a1b2c', /[0-9]/, 2)", R"j(["a", "b"])j"},
                {"$split('a1b2c', /[0-9]/, -1)", "D3020"},
            });
  CheckOver(kDataset5, {{"Account.Order.[Product.Price][0]", "[34.45, 34.45]"},
                        {"Account.Order.[Product.Price]", "[[34.45, 21.67], [34.45, 107.99]]"}});
  for (const auto& [vehicle, colour] :
       {std::pair{"\"Bus\"", R"j("Red")j"}, std::pair{"\"Police Car\"", R"j("White")j"},
        std::pair{"\"Taxi\"", "undefined"}}) {
    CheckOver(vehicle, {{R"j(["Red"[$$="Bus"], "White"[$$="Police Car"]][0])j", colour},
                        {R"j($lookup({"Bus": "Red", "Police Car": "White"}, $$))j", colour}});
  }
}

TEST(JsonataSyntax, LambdasCalledInPlaceWithSignatures) {
  // lambdas, function-signatures (signatures are read, their types not checked), and λ for function.
  CheckOver(kDataset5, {
                           {"function($x){$x*$x}(5)", "25"},
                           {"function($x){$x>5 ? \"foo\"}(6)", R"j("foo")j"},
                           {"function($x){$x>5 ? \"foo\"}(3)", "undefined"},
                           {"function($x,$y)<n-n:n>{$x+$y}(2, 6)", "8"},
                           {"[1..5].function($x,$y)<n-n:n>{$x+$y}(2, 6)", "[8, 8, 8, 8, 8]"},
                           {"($twice := function($f)<f<n:n>:f<n:n>>{function($x)<n:n>{$f($f($x))}};"
                            "$add2 := function($x)<n:n>{$x+2};$add4 := $twice($add2);$add4(5))",
                            "9"},
                           {"λ($x){$x + 1}(1)", "2"},
                           {"$map([1, 2], λ($v, $i){$v * $i})", "[0, 2]"},
                           {"function($x)<n:n{$x}", "error"},
                       });
}

TEST(JsonataStrings, CharactersAreCodePoints) {
  // function-length, function-substring, function-pad: characters are Unicode code points, never cut.
  CheckOver(std::nullopt, {
                              {R"j($length("\u03BB-calculus"))j", "10"},
                              {R"j($length("\uD834\uDD1E"))j", "1"},
                              {"$length(\"超明體繁\")", "4"},
                              {"$length(\"𝄞💩\")", "2"},
                              {"$substring('𝄞💩', 0, 1)", R"j("𝄞")j"},
                              {"$substring('𝄞💩', 1, 1)", R"j("💩")j"},
                              {"$substring(\"😂😁😀\", -2, 1)", R"j("😁")j"},
                              {"$substring(\"😂😁😀\", -5, 1)", R"j("😂")j"},
                              {"$substring('hello world', 3)", R"j("lo world")j"},
                              {"$substring('hello world', -5, 2)", R"j("wo")j"},
                              {"$substring('hello world', 3, -1)", R"j("")j"},
                              {"$pad('a𝄞💩', 7)", R"j("a𝄞💩    ")j"},
                              {"$pad('𝄞💩', -7)", R"j("     𝄞💩")j"},
                              {"$pad('a𝄞💩', 6, '💩')", R"j("a𝄞💩💩💩💩")j"},
                              {"$pad(\"foo\", 5, \"\")", R"j("foo  ")j"},
                              {"$pad(\"foo\", -6, \"#*\")", R"j("#*#foo")j"},
                              {"$pad(\"foo\", 2)", R"j("foo")j"},
                              // $number reads decimal text with leading zeros and 0x / 0o / 0b integers.
                              {"$number('0123')", "123"},
                              {"$number('-007')", "-7"},
                              {"$number('000.00123000')", "0.00123"},
                              {"$number('0x12')", "18"},
                              {"$number('0B101')", "5"},
                              {"$number('0O12')", "10"},
                              {"$number('10e500')", "D3030"},
                              {"$number('1 2')", "D3030"},
                              {"$number(true)", "1"},
                              {"$sum(nothing)", "undefined"},
                              {"$join(nothing, ', ')", "undefined"},
                          });
}

TEST(JsonataFunctions, PartialApplicationAndComposition) {
  // partial-application, function-applications: `?` placeholders make a function; `$f ~> $g` composes;
  // a regular expression after ~> gives its first match.
  CheckOver(kDataset5,
            {
                {"(  $add := function($x, $y){$x+$y};  $add2 := $add(?, 2);  $add2(3))", "5"},
                {"(  $add := function($x, $y){$x+$y};  $add2 := $add(2, ?);  $add2(4))", "6"},
                {"(  $firstn := $substring(?, 0, ?);  $first5 := $firstn(?, 5);  $first5(\"Hello World\"))",
                 R"j("Hello")j"},
                {"( $uppertrim := $trim ~> $uppercase;  $uppertrim(\"   Hello    World   \") )",
                 R"j("HELLO WORLD")j"},
                {"( $domain := $substringAfter(?,\"@\") ~> $substringBefore(?,\".\"); "
                 "$domain(\"john@example.com\") )",
                 R"j("example")j"},
                {"($square := function($x){$x*$x};$sum_of_squares := $map(?, $square) ~> $sum;"
                 "[1..5] ~> $sum_of_squares())",
                 "55"},
                {"($square := function($x){$x*$x};$instructions := $sum ~> $square;"
                 "[1..5] ~> $instructions())",
                 "225"},
                {"Account.Order.Product[$.\"Product Name\" ~> /hat/i].ProductID", "[858383, 858236, 858383]"},
                {"('abc' ~> /b/).index", "1"},
                {"5 ~> 6", "T2006"},
                {"$nothing(?, 1)", "T1008"},
                {"$reduce([1, 2, 3], $append)", "[1, 2, 3]"},
                {"$single([0])", "0"},
                {"$single([1, 2])", "error"},
            });
  CheckOver(R"j({"a": 1, "b": 3, "c": 5})j", {{"$each(function($v, $k) {$k[$v>2]})", R"j(["b", "c"])j"},
                                              {"$sift(function($v){$v > 2})", R"j({"b": 3, "c": 5})j"}});
}

TEST(JsonataFunctions, AsTheReferenceDefinesThem) {
  CheckOver(
      kDataset0,
      {
          // The descendants of a value start with the value itself.
          {"foo.**.blah", R"j([{"baz": {"fud": "hello"}}, {"baz": {"fud": "world"}}, {"bazz": "gotcha"}])j"},
          {"\"foo\".**.fud", R"j(["hello", "world"])j"},
          {"\"foo\".\"blah\".\"baz\".\"fud\"", R"j(["hello", "world"])j"},
          // Ordering comparisons with undefined are undefined; equality is false.
          {"3 > $x", "undefined"},
          {"$x <= 'hello'", "undefined"},
          {"$x = 3", "false"},
          // $round: half to even on the decimal text.
          {"$round(4.525, 2)", "4.52"},
          {"$round(4.515, 2)", "4.52"},
          {"$round(2.5)", "2"},
          {"$round(3.5)", "4"},
          {"$round(-2.5)", "-2"},
          {"$round(125, -1)", "120"},
          {"$round(135, -1)", "140"},
          {"$replace(\"the cat sat on the mat\", \"at\", \"it\", 2)", R"j("the cit sit on the mat")j"},
          {"$replace(\"the cat sat on the mat\", \"at\", \"it\", 0)", R"j("the cat sat on the mat")j"},
          {"$replace(\"the cat\", \"at\", \"it\", -1)", "D3011"},
          // $toMillis reads the ISO 8601 forms JSONata's pattern admits.
          {"$toMillis(\"2017-10-30\")", "1509321600000"},
          {"$toMillis(\"2018\")", "1514764800000"},
          {"$toMillis(\"2018-02-01T09:42:13.123+0000\")", "1517478133123"},
          {"$toMillis(\"2018-02-01T09:42:13.123-05:00\")", "1517496133123"},
          {"$toMillis(\"2018-13-01\")", "D3110"},
          // Undefined in, undefined out; a single value is its own distinct values.
          {"$distinct('hello')", R"j("hello")j"},
          {"$distinct(nothing)", "undefined"},
          {"$reverse(nothing)", "undefined"},
          {"$sort(nothing)", "undefined"},
          {"$merge(nothing)", "undefined"},
          {"$append(1, nothing)", "1"},
          {"$contains('Hello World', nothing)", "undefined"},
          {"$power(nothing, 3)", "undefined"},
          // Functions are of type "function", false, without keys or members.
          {"$type($sum)", R"j("function")j"},
          {"($var := function(){true}; $type($var))", R"j("function")j"},
          {"$boolean($sum)", "false"},
          {"$keys(function(){1})", "undefined"},
          {"$sum.*", "undefined"},
          // encodeURI / encodeURIComponent.
          {"$encodeUrl(\"https://mozilla.org/?x=шеллы\")",
           R"j("https://mozilla.org/?x=%D1%88%D0%B5%D0%BB%D0%BB%D1%8B")j"},
          {"$encodeUrlComponent(\"?x=test\")", R"j("%3Fx%3Dtest")j"},
          {"$encodeUrlComponent(\"a b&c(!)\")", R"j("a%20b%26c(!)")j"},
          // $string(value, true) indents.
          {"$string({\"a\": [1, {\"b\": null}], \"c\": {}}, true)",
           R"j("{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ],\n  \"c\": {}\n}")j"},
      });
  // Names are Unicode.
  CheckOver(R"j({"Español": "hola", "敷": "x"})j",
            {{"Español", R"j("hola")j"}, {"$uppercase(敷)", R"j("X")j"}, {"($naïve := 2; $naïve + 1)", "3"}});
}

TEST(JsonataFunctions, ArgumentsMatchTheSignatures) {
  // A built-in function's arguments are checked against its JSONata signature (function-length,
  // function-sum, transform): T0410 for too many or of a wrong type, T0412 for an array of the wrong
  // members; a single value passes as an array of one, and undefined passes.
  CheckOver(kDataset5, {
                           {"$length(1234)", "T0410"},
                           {"$length(\"Hello\", \"World\")", "T0410"},
                           {"$uppercase(20)", "T0410"},
                           {"$substringBefore(\"22\", 2)", "T0410"},
                           {"$string(2, 3)", "T0410"},
                           {"$count([], [])", "T0410"},
                           {"$sum([1, 'a'])", "T0412"},
                           {"$sum(5)", "5"},
                           {"$count(5)", "1"},
                           {"$join(['a', 1])", "T0412"},
                           {"$merge([{'a': 1}, 2])", "T0412"},
                           {"$each([1], function($v){$v})", "T0410"},
                           {"$split('a b', true)", "T0410"},
                           {"$number({})", "T0410"},
                           {"$number(true)", "1"},
                           {"$uppercase(nothing)", "undefined"},
                           {"$map(Account.Order.OrderID, $uppercase)", R"j(["ORDER103", "ORDER104"])j"},
                           {"$sqrt(-2)", "D3060"},
                           {"$power(100, 1000)", "D3061"},
                           {"$power(-2, 1/3)", "D3061"},
                           // Step Functions' own functions keep their own arguments.
                           {"$random(7) = $random(7)", "true"},
                       });
}

}  // namespace
}  // namespace cenote::states::asl
