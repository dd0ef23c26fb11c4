// JSONata beyond the basic subset: location paths as tuple streams (parent %, positional #$i, context
// @$v bindings), transforms, $eval, and the XPath picture-string functions ($formatNumber, $formatInteger,
// $parseInteger, $fromMillis/$toMillis/$now pictures). Expressions and results follow the jsonata-js test
// suite's groups (parent-operator, joins, flattening, transforms, function-eval, function-formatNumber,
// function-formatInteger, function-parseInteger, function-fromMillis, function-tomillis), over the same
// shapes of data bound to variables ($d: an account with orders of products; $l: a library; $a: numbers).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "services/states/asl/jsonata.hpp"
#include "services/states/asl/jsonata_format.hpp"

namespace cenote::states::asl {
namespace {

namespace json = boost::json;

const char* kVariables = R"j({
  "d": {"Account": {"Account Name": "Firefly", "Order": [
    {"OrderID": "order103", "Product": [
      {"Product Name": "Bowler Hat", "ProductID": 858383, "SKU": "0406654608", "Price": 34.45, "Quantity": 2},
      {"Product Name": "Trilby hat", "ProductID": 858236, "SKU": "0406634348", "Price": 21.67, "Quantity": 1}]},
    {"OrderID": "order104", "Product": [
      {"Product Name": "Bowler Hat", "ProductID": 858383, "SKU": "040657863", "Price": 34.45, "Quantity": 4},
      {"Product Name": "Cloak", "ProductID": 345664, "SKU": "0406654603", "Price": 107.99, "Quantity": 1}]}]}},
  "l": {"library": {
    "books": [
      {"title": "Structure and Interpretation of Computer Programs", "isbn": "9780262510875", "price": 38.9},
      {"title": "The C Programming Language", "isbn": "9780131103627", "price": 33.59},
      {"title": "The AWK Programming Language", "isbn": "9780201079814"},
      {"title": "Compilers: Principles, Techniques, and Tools", "isbn": "9780201100884", "price": 23.38}],
    "loans": [
      {"customer": "10001", "isbn": "9780262510875", "return": "2016-12-05"},
      {"customer": "10003", "isbn": "9780201100884", "return": "2016-10-22"},
      {"customer": "10003", "isbn": "9780262510875", "return": "2016-12-22"}],
    "customers": [
      {"id": "10001", "name": "Joe Doe"},
      {"id": "10002", "name": "Fred Bloggs"},
      {"id": "10003", "name": "Jason Arthur"}]}},
  "a": [3, 1, 4, 1, 5, 9]
})j";

struct Case {
  const char* expr;
  const char* want;  // JSON, "undefined", or "error"
};

void Check(const Case& c, const json::object& vars) {
  auto r = EvaluateJsonata(c.expr, vars);
  const std::string_view want = c.want;
  if (want == "error") {
    ASSERT_FALSE(r.ok()) << c.expr << " gave "
                         << (r.ok() && r->has_value() ? json::serialize(**r) : std::string("undefined"));
    EXPECT_EQ(r.error().code, "States.QueryEvaluationError") << c.expr;
    return;
  }
  ASSERT_TRUE(r.ok()) << c.expr << ": " << r.error().message;
  if (want == "undefined") {
    EXPECT_FALSE(r->has_value()) << c.expr << " gave " << json::serialize(**r);
    return;
  }
  ASSERT_TRUE(r->has_value()) << c.expr << " gave undefined";
  EXPECT_EQ(**r, json::parse(want)) << c.expr << " gave " << json::serialize(**r);
}

void CheckAll(std::initializer_list<Case> cases) {
  const json::object vars = json::parse(kVariables).as_object();
  for (const auto& c : cases) Check(c, vars);
}

TEST(JsonataPaths, PredicatesApplyToEachStepAndArraysFlatten) {
  CheckAll({
      {"$d.Account.Order.Product[0].SKU", R"j(["0406654608","040657863"])j"},
      {"($d.Account.Order.Product)[0].SKU", R"j("0406654608")j"},
      {"$d.Account.Order[-1].OrderID", R"j("order104")j"},
      {"$d.Account.Order.[Product.Price]", "[[34.45,21.67],[34.45,107.99]]"},
      {"$d.Account.Order.Product.Price", "[34.45,21.67,34.45,107.99]"},
      {"$d.Account.'Account Name'", R"j("Firefly")j"},
      {"{'a': [1]}.a", "[1]"},
      {"{'a': [[1]]}.a", "[[1]]"},
      {"[{'a':[1,2]}, {'a':[3]}].a", "[1,2,3]"},
      {"$d.Account.Order[0].Product[]",
       R"j([{"Product Name":"Bowler Hat","ProductID":858383,"SKU":"0406654608",
        "Price":34.45,"Quantity":2},{"Product Name":"Trilby hat","ProductID":858236,"SKU":"0406634348",
        "Price":21.67,"Quantity":1}])j"},
      {"$d.Account.Order[0].OrderID[]", R"j(["order103"])j"},
      {"$a[[0, 2]]", "[3,4]"},
      {"[1..5]", "[1,2,3,4,5]"},
      {"[0..2, 7, 4..3]", "[0,1,2,7]"},
      {"$a[[1..3]]", "[1,4,1]"},
      {"$a[[0..2]]#$pos[$pos >= 1]", "[1,4]"},
      {"[1..$count($a)]", "[1,2,3,4,5,6]"},
      {"[1.5..3]", "error"},
      {"[1..$nothing]", "[]"},
      {"[1..100000000]", "error"},
  });
}

TEST(JsonataPaths, ParentOperator) {
  CheckAll({
      {"$d.Account.Order.Product.[`Product Name`, %.OrderID]",
       R"j(["Bowler Hat","order103","Trilby hat","order103","Bowler Hat","order104","Cloak","order104"])j"},
      {"$d.Account.Order.Product.{ `Product Name`: [Quantity, %.OrderID] }",
       R"j([{"Bowler Hat":[2,"order103"]},{"Trilby hat":[1,"order103"]},{"Bowler Hat":[4,"order104"]},
           {"Cloak":[1,"order104"]}])j"},
      {"$d.Account.Order.Product.{ `Product Name`: [Quantity, (%.OrderID)] }",
       R"j([{"Bowler Hat":[2,"order103"]},{"Trilby hat":[1,"order103"]},{"Bowler Hat":[4,"order104"]},
           {"Cloak":[1,"order104"]}])j"},
      {"$d.Account.Order.Product[%.OrderID='order104'].SKU", R"j(["040657863","0406654603"])j"},
      {"$d.Account.Order.Product[%.%.`Account Name`='Firefly'].SKU",
       R"j(["0406654608","0406634348","040657863","0406654603"])j"},
      {"$d.Account.Order.Product.Price[%.%.OrderID='order103']", "[34.45,21.67]"},
      {"$d.Account.Order.Product.Price.%[%.OrderID='order103'].SKU", R"j(["0406654608","0406634348"])j"},
      {"$d.Account.Order.Product[%.OrderID='order104'][%.%.`Account Name`='Firefly'].SKU",
       R"j(["040657863","0406654603"])j"},
      {"$d.Account.Order.Product.{ %.OrderID: Price * Quantity }",
       R"j([{"order103":68.9},{"order103":21.67},{"order104":137.8},{"order104":107.99}])j"},
      {"$d.Account.Order.Product.( $parent := %; %.OrderID )",
       R"j(["order103","order103","order104","order104"])j"},
      {"$d.Account.Order.Product.( $parent := %; $parent.OrderID )",
       R"j(["order103","order103","order104","order104"])j"},
      {"$d.Account.Order.Product.{ 'Product': `Product Name`, 'Account': %.%.`Account Name` }[0]",
       R"j({"Product":"Bowler Hat","Account":"Firefly"})j"},
      // No item to climb to.
      {"%", "error"},
      {"$d.%", "error"},
  });
}

TEST(JsonataPaths, PositionalAndContextBindings) {
  CheckAll({
      {"$a#$pos[$pos<3]", "[3,1,4]"},
      {"$a.$#$pos[$pos<3]", "[3,1,4,1,5,9]"},
      {"$a#$pos[$pos<3][1]", "1"},
      {"$a#$pos[$pos<3][1][]", "[1]"},
      {"$a[$ > 2]#$i.{'v': $, 'i': $i}", R"j([{"v":3,"i":0},{"v":4,"i":1},{"v":5,"i":2},{"v":9,"i":3}])j"},
      {"$d.Account.Order#$o.Product[ProductID=858383].{ 'Product': `Product Name`, 'Order Index': $o }",
       R"j([{"Product":"Bowler Hat","Order Index":0},{"Product":"Bowler Hat","Order Index":1}])j"},
      {"$d.Account.Order#$i.Missing", "undefined"},
      {"$l.library.books#$pos.$[$substring(title,0,3) = 'The'].$pos", "[1,2]"},
      {"$l.library.loans@$L.books@$B[$L.isbn=$B.isbn].{'title': $B.title, 'customer': $L.customer}",
       R"j([{"title":"Structure and Interpretation of Computer Programs","customer":"10001"},
           {"title":"Compilers: Principles, Techniques, and Tools","customer":"10003"},
           {"title":"Structure and Interpretation of Computer Programs","customer":"10003"}])j"},
      {"$l.library.loans@$L.books@$B[$L.isbn=$B.isbn].customers[id=$L.customer].{'book': $B.title, "
       "'customer': name}",
       R"j([{"book":"Structure and Interpretation of Computer Programs","customer":"Joe Doe"},
           {"book":"Compilers: Principles, Techniques, and Tools","customer":"Jason Arthur"},
           {"book":"Structure and Interpretation of Computer Programs","customer":"Jason Arthur"}])j"},
      {"$l.library.loans@$L.books@$B[$L.isbn=$B.isbn].{ 'book': $B.title, 'parent': $keys(%) }[0]",
       R"j({"book":"Structure and Interpretation of Computer Programs","parent":["books","loans","customers"]})j"},
      {"$l.library.loans@$L.books@$B[$L.isbn=$B.isbn].customers[id=$L.customer].{ 'parent': $keys(%.%) }[0]",
       R"j({"parent":["books","loans","customers"]})j"},
      {"$l.library.loans@$L.books@$B[$L.isbn=$B.isbn].customers@$C[$C.id=$L.customer].{ 'book': $B.title, "
       "'customer': $C.name, 'grandparent': $keys(%.%) }[2]",
       R"j({"book":"Structure and Interpretation of Computer Programs","customer":"Jason Arthur",
           "grandparent":"library"})j"},
      {"$l.library.loans@$L.books@$B[$L.isbn=$B.isbn][1].$B.price", "23.38"},
      {"$d.Account.Order@o.Product", "error"},
  });
}

TEST(JsonataTransforms, CopyUpdateDelete) {
  CheckAll({
      {"($d ~> |Account.Order.Product|{'Price': Price * 2}|).Account.Order.Product.Price",
       "[68.9,43.34,68.9,215.98]"},
      {"$keys(($d ~> |Account.Order.Product|{}, ['SKU', 'ProductID']|).Account.Order.Product)",
       R"j(["Product Name","Price","Quantity"])j"},
      {"($d.Account ~> |Order|{'n': $count(Product)}|).Order.n", "[2,2]"},
      {"($d ~> |Account.Order[0]|{'first': true}|).Account.Order.first", "true"},
      {"[$d ~> |Account|{'Account Name': 'Z'}|, $d].Account.`Account Name`", R"j(["Z","Firefly"])j"},
      {"($inc := |Account|{'n': 1}|; $inc($d).Account.n)", "1"},
      {"($d ~> |Account.Order.Product[Price > 100]|{'Expensive': true}, 'SKU'|).Account.Order.Product"
       "[Expensive].`Product Name`",
       R"j("Cloak")j"},
      {"($d ~> |**[OrderID = 'order104']|{'Shipped': true}|).Account.Order.Shipped", "true"},
      {"$count(($d ~> |Account|{}|).Account.*)", "3"},
      {"$d ~> |Account|5|", "error"},
      {"$d ~> |Account|{}, 5|", "error"},
      {"$nothing ~> |Account|{}|", "undefined"},
  });
}

TEST(JsonataEval, ParsesAndEvaluatesText) {
  CheckAll({
      {"$eval('1 + 2')", "3"},
      {"$eval('[1,$string(2),3]')", R"j([1,"2",3])j"},
      {"$eval('$sum(a)', {'a': [1, 2]})", "3"},
      {"$eval('$d.Account.`Account Name`')", R"j("Firefly")j"},
      {"($x := 5; $eval('$x * 2'))", "10"},
      {"$eval('$eval(\\'2 * 3\\')')", "6"},
      {"$map([1,2], $eval('function($v){$v * 10}'))", "[10,20]"},
      {"$eval('1 +')", "error"},
      {"$eval(undefined)", "undefined"},
  });
}

TEST(JsonataFormat, FormatInteger) {
  CheckAll({
      {"$formatInteger(123, '000')", R"j("123")j"},
      {"$formatInteger(123, '0000')", R"j("0123")j"},
      {"$formatInteger(-3, '0000')", R"j("-0003")j"},
      {"$formatInteger(12.6, '###0')", R"j("12")j"},
      {"$formatInteger(123, '000;o')", R"j("123rd")j"},
      {"$formatInteger(1, '0;o')", R"j("1st")j"},
      {"$formatInteger(12, '###0;o')", R"j("12th")j"},
      {"$formatInteger(12340, '###\u0661')", R"j("\u0661\u0662\u0663\u0664\u0660")j"},
      {"$formatInteger(12340, '##0\uff10')", "error"},
      {"$formatInteger(1234567890, '#,##0')", R"j("1,234,567,890")j"},
      {"$formatInteger(1234567890, '#:###,##0')", R"j("1234:567,890")j"},
      {"$formatInteger(1234567890, '##,##,##0')", R"j("12345,67,890")j"},
      {"$formatInteger(0, 'I')", R"j("")j"},
      {"$formatInteger(1984, 'I')", R"j("MCMLXXXIV")j"},
      {"$formatInteger(99, 'i')", R"j("xcix")j"},
      {"$formatInteger(34, 'w')", R"j("thirty-four")j"},
      {"$formatInteger(555, 'W')", R"j("FIVE HUNDRED AND FIFTY-FIVE")j"},
      {"$formatInteger(555, 'Ww')", R"j("Five Hundred and Fifty-Five")j"},
      {"$formatInteger(3730, 'w')", R"j("three thousand, seven hundred and thirty")j"},
      {"$formatInteger(1000000000001, 'w')", R"j("one trillion and one")j"},
      {"$formatInteger(1e15, 'w')", R"j("one thousand trillion")j"},
      {"$formatInteger(1e+46, 'w')", R"j("ten billion trillion trillion trillion")j"},
      {"$formatInteger(20, 'w;o')", R"j("twentieth")j"},
      {"$formatInteger(3731, 'w;o')", R"j("three thousand, seven hundred and thirty-first")j"},
      {"$formatInteger(1000000000001, 'w;o')", R"j("one trillion and first")j"},
      {"$formatInteger(27, 'a')", R"j("aa")j"},
      {"$formatInteger(123456, 'A')", R"j("FZPH")j"},
      {"$formatInteger(123456, 'q')", "error"},
      {"$formatInteger(undefined, '0')", "undefined"},
      // Bad input is an error, never a hang.
      {"$formatInteger(1e300, 'I')", "error"},
      {"$formatInteger(1e300, 'a')", "error"},
      {"$formatInteger(1e301 * 1e10, 'w')", "error"},
      {"$fromMillis(1e300, '[Y]')", "error"},
      {"$toMillis('2020-01-01 +123456', '[Y]-[M]-[D] [Z]')", "undefined"},
      {"$toMillis('99999999999999999999', '[Y]')", "error"},
  });
}

TEST(JsonataFormat, ParseInteger) {
  CheckAll({
      {"$parseInteger('0123', '0000')", "123"},
      {"$parseInteger('123rd', '000;o')", "123"},
      {"$parseInteger('\u0661\u0662\u0663\u0664\u0660', '###\u0661')", "12340"},
      {"$parseInteger('12,345,678', '#,##0')", "12345678"},
      {"$parseInteger('1234:567,890', '#:###,##0')", "1234567890"},
      {"$parseInteger('', 'I')", "0"},
      {"$parseInteger('MCMLXXXIV', 'I')", "1984"},
      {"$parseInteger('xcix', 'i')", "99"},
      {"$parseInteger('FIVE HUNDRED AND FIFTY-FIVE', 'W')", "555"},
      {"$parseInteger('three hundred and twenty-seven thousand, seven hundred and thirty', 'w')", "327730"},
      {"$parseInteger('one trillion and one', 'w')", "1000000000001"},
      {"$parseInteger('ten billion trillion trillion trillion', 'w')", "1e46"},
      {"$parseInteger('aa', 'a')", "27"},
      {"$parseInteger('12x', '#0')", "error"},
  });
}

TEST(JsonataFormat, FormatNumber) {
  CheckAll({
      {"$formatNumber(12345.6, '#,###.00')", R"j("12,345.60")j"},
      {"$formatNumber(12345678.9, '9,999.99')", R"j("12,345,678.90")j"},
      {"$formatNumber(123412345678.9, '9,9,99.99')", R"j("123412345,6,78.90")j"},
      {"$formatNumber(1234.56789, '9,999.999,999')", R"j("1,234.567,890")j"},
      {"$formatNumber(123.9, '9999')", R"j("0124")j"},
      {"$formatNumber(0.14, '01%')", R"j("14%")j"},
      {"$formatNumber(0.4857,'###.###\u2030')", R"j("485.7\u2030")j"},
      {"$formatNumber(0.14, '###pm', {'per-mille': 'pm'})", R"j("140pm")j"},
      {"$formatNumber(-6, '000')", R"j("-006")j"},
      {"$formatNumber(1234.5678, '00.000e0')", R"j("12.346e2")j"},
      {"$formatNumber(1234.5678, '00.000e000')", R"j("12.346e002")j"},
      {"$formatNumber(0.234, '0.0e0')", R"j("2.3e-1")j"},
      {"$formatNumber(0.234, '#.00e0')", R"j("0.23e0")j"},
      {"$formatNumber(0.123, '#.e9')", R"j("0.1e0")j"},
      {"$formatNumber(0.234, '.00e0')", R"j(".23e0")j"},
      {"$formatNumber(2392.14*(-36.58), '000,000.000###;###,###.000###')", R"j("87,504.4812")j"},
      {"$formatNumber(2.14*86.58,'PREFIX##00.000###SUFFIX')", R"j("PREFIX185.2812SUFFIX")j"},
      {"$formatNumber(1E20,'#,######')", R"j("100,000000,000000,000000")j"},
      {"$formatNumber(2, 'AAA.AAA', {'zero-digit': 'A'})", R"j("AAC.AAA")j"},
      {"$formatNumber(0.1, 'AeAAA', {'zero-digit': 'A'})", R"j("Be-AAB")j"},
      {"$formatNumber(1234.5678, '\u2460\u2460.\u2460\u2460\u2460e\u2460', {'zero-digit': '\u245f'})",
       R"j("\u2460\u2461.\u2462\u2463\u2465e\u2461")j"},
      {"$formatNumber(0, '0e0')", R"j("0e0")j"},
      {"$formatNumber(-42, '0e0')", R"j("-4e1")j"},
      {"$formatNumber(1234.5, '#.##0,00', {'decimal-separator': ',', 'grouping-separator': '.'})",
       R"j("1.234,50")j"},
      {"$formatNumber(undefined, '#0.00')", "undefined"},
      {"$formatNumber(20,'#;#;#')", "error"},
      {"$formatNumber(20,'#.0.0')", "error"},
      {"$formatNumber(20,'#0%%')", "error"},
      {"$formatNumber(20,'.e0')", "error"},
      {"$formatNumber(20,'0+.e0')", "error"},
      {"$formatNumber(20,'0,.e0')", "error"},
      {"$formatNumber(20,'0,')", "error"},
      {"$formatNumber(20,'0,,0')", "error"},
      {"$formatNumber(20,'0#.e0')", "error"},
      {"$formatNumber(20,'#0.#0e0')", "error"},
      {"$formatNumber(20,'#0.0e0%')", "error"},
      {"$formatNumber(20,'#0.0e0,0')", "error"},
      {"$formatNumber(42, '---')", "error"},
  });
}

TEST(JsonataFormat, FromMillisPictures) {
  CheckAll({
      {"$fromMillis(1521801216617, 'Hello')", R"j("Hello")j"},
      {"$fromMillis(1521801216617, 'Year: <[Y0001]>')", R"j("Year: <2018>")j"},
      {"$fromMillis(1521801216617, 'Year: <[Y9,999,*]>')", R"j("Year: <2,018>")j"},
      {"$fromMillis(1521801216617, '[[Year]]: [[[Y0001]]]')", R"j("[Year]: [2018]")j"},
      {"$fromMillis(1521801216617, '[D#1]/[M#1]/[Y0001]')", R"j("23/3/2018")j"},
      {"$fromMillis(1522616700000, '[F0] [FNn]')", R"j("7 Sunday")j"},
      {"$fromMillis(1521801216617, '[Y0001]-[M01]-[D01]')", R"j("2018-03-23")j"},
      {"$fromMillis(1521801216617, '[M01]/[D01]/[Y0001] at [H01]:[m01]:[s01]')",
       R"j("03/23/2018 at 10:33:36")j"},
      {"$fromMillis(1521801216617, '[Y]-[M01]-[D01]T[H01]:[m]:[s].[f001][Z01:01t]')",
       R"j("2018-03-23T10:33:36.617Z")j"},
      {"$fromMillis(1521801216617, '[Y]-[ M01]-[D 01]T[H01 ]:[ m   ]:[s].[f0  01][Z01:\n 01t]')",
       R"j("2018-03-23T10:33:36.617Z")j"},
      {"$fromMillis(1521801216617, '[Y]-[M01]-[D01]T[H01]:[m]:[s].[f001][Z0101t]', '+0100')",
       R"j("2018-03-23T11:33:36.617+0100")j"},
      {"$fromMillis(1531310400000, '[Y]-[M01]-[D01]T[H01]:[m]:[s][Z01:01]')",
       R"j("2018-07-11T12:00:00+00:00")j"},
      {"$fromMillis(1531310400000, '[Y]-[M01]-[D01]T[H01]:[m]:[s][Z]', '-0500')",
       R"j("2018-07-11T07:00:00-05:00")j"},
      {"$fromMillis(1531310400000, '[Y]-[M01]-[D01]T[H01]:[m]:[s][Z0]', '-0500')",
       R"j("2018-07-11T07:00:00-5")j"},
      {"$fromMillis(1531310400000, '[Y]-[M01]-[D01]T[H01]:[m]:[s][Z0]', '+0530')",
       R"j("2018-07-11T17:30:00+5:30")j"},
      {"$fromMillis(1531310400000, '[Y]-[M01]-[D01]T[H01]:[m]:[s][z]', '-0500')",
       R"j("2018-07-11T07:00:00GMT-05:00")j"},
      {"$fromMillis(1230757500000, '[Y]-[M01]-[D01]T[H01]:[m]:[s].[f001][Z0101t]', '+0530')",
       R"j("2009-01-01T02:35:00.000+0530")j"},
      {"$fromMillis(1230757500000, '[Y]-[M01]-[D01]T[H01]:[m]:[s].[f001][Z010101t]', '+0530')", "error"},
      {"$fromMillis(1521801216617, '[D#1,2]/[M1,2]/[Y,2]')", R"j("23/03/18")j"},
      {"$fromMillis(1521801216617, '[D#1,2]/[M1,2]/[Y0001,2]')", R"j("23/03/2018")j"},
      {"$fromMillis(1521801216617, '[D#1,2]/[M1,2]/[Y##01,2-2]')", R"j("23/03/18")j"},
      {"$fromMillis(1521801216617, '[D1] [M01] [YI]')", R"j("23 03 MMXVIII")j"},
      {"$fromMillis(1521801216617, '[Da] [MA] [Yi]')", R"j("w C mmxviii")j"},
      {"$fromMillis(1521801216617, '[D1o] [M01] [Y]')", R"j("23rd 03 2018")j"},
      {"$fromMillis(1521801216617, '[Yw]')", R"j("two thousand and eighteen")j"},
      {"$fromMillis(1521801216617, '[FNn], the [Dwo] of [MNn] [Y] [E]')",
       R"j("Friday, the twenty-third of March 2018 ISO")j"},
      {"$fromMillis(1521801216617, '[FNn,3-3], [D1o] [MNn,3-3] [Y] [C]')", R"j("Fri, 23rd Mar 2018 ISO")j"},
      {"$fromMillis(1204405500000, '[F], [D]/[M]/[Y] [h]:[m]:[s] [P]')",
       R"j("saturday, 1/3/2008 9:05:00 pm")j"},
      {"$fromMillis(1199664000000, '[F], [D]/[M]/[Y] [h]:[m]:[s] [PN]')",
       R"j("monday, 7/1/2008 12:00:00 AM")j"},
      {"$fromMillis(1514808000000, '[dwo] day of the year')", R"j("first day of the year")j"},
      {"$fromMillis(1483185600000, '[d] days in [Y0001]')", R"j("366 days in 2016")j"},
      {"$fromMillis(1545739200000, 'Week: [W]')", R"j("Week: 52")j"},
      {"$fromMillis(1451304000000, 'Week: [W]')", R"j("Week: 53")j"},
      {"$fromMillis(1420459200000, 'Week: [W]')", R"j("Week: 2")j"},
      {"$fromMillis(1359460800000, 'Week: [w] of [xNn]')", R"j("Week: 5 of January")j"},
      {"$fromMillis(1483272000000, 'Week: [w] of [xNn]')", R"j("Week: 5 of December")j"},
      {"$fromMillis(1533038400000, 'Week: [w] of [xNn]')", R"j("Week: 1 of August")j"},
      {"($ts := $toMillis('2005-01-01', '[Y]-[M]-[D]'); $fromMillis($ts, '[X0001]-W[W01]-[F1]'))",
       R"j("2004-W53-6")j"},
      {"($ts := $toMillis('2008-12-29', '[Y]-[M]-[D]'); $fromMillis($ts, '[X0001]-W[W01]-[F1]'))",
       R"j("2009-W01-1")j"},
      {"$toMillis('2018-10-21T13:05:00Z').[$fromMillis(), $fromMillis($, (), '-0500'), $fromMillis($, (), "
       "'0000')]",
       R"j(["2018-10-21T13:05:00.000Z","2018-10-21T08:05:00.000-05:00","2018-10-21T13:05:00.000Z"])j"},
      {"$fromMillis(1419940800000, '[YN]-[M]-[D]')", "error"},
      {"$fromMillis(1419940800000, '[YN]-[M')", "error"},
      {"$fromMillis(1419940800000, '[q]')", "error"},
      {"$substring($now('[Y0001]'), 0, 2)", R"j("20")j"},
      {"$now('[H01]:[m01]', '+0000') ~> $length()", "5"},
  });
}

TEST(JsonataFormat, ToMillisPictures) {
  CheckAll({
      {"$toMillis('201802', '[Y0001][M01]')", "1517443200000"},
      {"$toMillis('201802', '[Y,*-4][M01]')", "1517443200000"},
      {"$toMillis('20180205', '[Y0001][M01][D01]')", "1517788800000"},
      {"$toMillis('2024-01-01T12:38:49Z') = $toMillis('20240101123849', '[Y0000][M00][D00][H00][m00][s00]')",
       "true"},
      {"$toMillis('Hello', 'Hello')", "undefined"},
      {"$toMillis('2018', '[Y1]')", "1514764800000"},
      {"$toMillis('2018-03-27T14:03:00.123Z', '[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001]Z')",
       "1522159380123"},
      {"$toMillis('27th 3 1976', '[D1o] [M#1] [Y0001]')", "196732800000"},
      {"$toMillis('21st 12 1881', '[D1o] [M01] [Y0001]')", "-2777932800000"},
      {"$toMillis('MCMLXXXIV', '[YI]')", "441763200000"},
      {"$toMillis('27 iii MMXVIII', '[D1] [Mi] [YI]')", "1522108800000"},
      {"$toMillis('w C mmxviii', '[Da] [MA] [Yi]')", "1521763200000"},
      {"$toMillis('27th April 2008', '[D1o] [MNn] [Y0001]')", "1209254400000"},
      {"$toMillis('2 Feb 2012', '[D1] [MNn,3-3] [Y0001]')", "1328140800000"},
      {"$toMillis('one thousand, nine hundred and eighty-four', '[Yw]')", "441763200000"},
      {"$toMillis('nineteen hundred and eighty-four', '[Yw]')", "441763200000"},
      {"$toMillis('twenty-seventh April 2008', '[Dw] [MNn] [Y0001]')", "1209254400000"},
      {"$toMillis('Twentieth of August, two thousand and seventeen', '[DW] of [MNn], [Yw]')",
       "1503187200000"},
      {"$toMillis('4/4/2018 12:06 am', '[D1]/[M1]/[Y0001] [h]:[m] [P]')", "1522800360000"},
      {"$toMillis('4/4/2018 11:30 pm', '[D1]/[M1]/[Y0001] [h]:[m] [P]')", "1522884600000"},
      {"$toMillis('2018-094', '[Y0001]-[d001]')", "1522800000000"},
      {"$toMillis('13:45', '[H]:[m]') ~> $fromMillis() ~> $substringAfter('T')", R"j("13:45:00.000Z")j"},
      {"$toMillis('13:45', '[H]:[m]') ~> $fromMillis() ~> $substringBefore('T') = $substringBefore($now(), "
       "'T')",
       "true"},
      {"$toMillis('Wednesday, 14th November 2018', '[FNn], [D1o] [MNn] [Y]') ~> $fromMillis()",
       R"j("2018-11-14T00:00:00.000Z")j"},
      {"$toMillis('Mon, Twelfth November 2018', '[FNn,*-3], [DWwo] [MNn] [Y]') ~> $fromMillis()",
       R"j("2018-11-12T00:00:00.000Z")j"},
      {"$toMillis('three hundred and sixty-fifth day of 2018', '[dwo] day of [Y]') ~> $fromMillis()",
       R"j("2018-12-31T00:00:00.000Z")j"},
      {"$toMillis('irrelevent string', '[Y]-[M]-[D]')", "undefined"},
      {"$toMillis('2018-05-22', '[Y]-[M]-[q]')", "error"},
      {"$toMillis('2018-05-22', '[YN]-[M]-[D]')", "error"},
      {"$toMillis('2018-22', '[Y]-[D]')", "error"},
      {"$toMillis('5-22 23:59', '[M]-[D] [m]:[s]')", "error"},
      {"$toMillis('2020-09-09 08:00:00 +02:00', '[Y0001]-[M01]-[D01] [H01]:[m01]:[s01] [Z]') ~> "
       "$fromMillis()",
       R"j("2020-09-09T06:00:00.000Z")j"},
      {"$toMillis('2020-09-09 08:00:00 GMT-05:00', '[Y0001]-[M01]-[D01] [H01]:[m01]:[s01] [z]') ~> "
       "$fromMillis()",
       R"j("2020-09-09T13:00:00.000Z")j"},
      {"$toMillis('2020-09-09 12:00:00 +0530', '[Y0001]-[M01]-[D01] [H01]:[m01]:[s01] [Z0001]') ~> "
       "$fromMillis()",
       R"j("2020-09-09T06:30:00.000Z")j"},
      {"$toMillis('2026-04-08T19:05:04.01987', '[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f1]') ~> "
       "$fromMillis()",
       R"j("2026-04-08T19:05:04.019Z")j"},
      {"$toMillis('foo')", "error"},
  });
}

}  // namespace
}  // namespace cenote::states::asl
