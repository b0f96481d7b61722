# Fixture for capnpc-capos: one of every construct the generator handles.
# Its generated header is pinned by fixture.capnp.hpp.golden, and
# fixture_test.cpp round-trips it against Debian's capnpc-c++ output.

@0xcab05000fff00000;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("capos::fixture_host");

using Gen = import "/schema/codegen.capnp";
$Gen.namespace("capos::fixture");

enum Color {
  red @0;
  green @1;   # The default in several places.
  blue @2;
}

struct Inner {
  a @0 :Int32;
  label @1 :Text;
}

struct Everything {
  # Every field kind, with and without defaults.

  boolField @0 :Bool;
  boolTrue @1 :Bool = true;
  i8 @2 :Int8 = -5;
  i16 @3 :Int16;
  i32 @4 :Int32 = -100000;
  i64 @5 :Int64 = -9223372036854775808;
  u8 @6 :UInt8 = 200;
  u16 @7 :UInt16;
  u32 @8 :UInt32 = 4000000000;
  u64 @9 :UInt64 = 0xfedcba9876543210;
  f32 @10 :Float32 = 1.5;
  f64 @11 :Float64 = -2.25;
  color @12 :Color = green;
  text @13 :Text = "hi \"there\"";
  data @14 :Data = 0x"0102ff";
  inner @15 :Inner = (a = 3, label = "dflt");
  u16List @16 :List(UInt16) = [1, 2, 3];
  boolList @17 :List(Bool);
  textList @18 :List(Text);
  dataList @19 :List(Data);
  structList @20 :List(Inner);
  colorList @21 :List(Color);
  nested @22 :List(List(Int32));
  caps @23 :List(Calculator);
  cap @24 :Calculator;
  any @25 :AnyPointer;
  voids @26 :List(Void);
  anyCap @27 :Capability;

  union {
    none @28 :Void;
    number @29 :UInt32;
    name @30 :Text;
    pair :group {
      left @31 :Int16;
      right @32 :Text;
    }
  }

  choice :union {
    small @33 :UInt8;
    big @34 :Inner;
    list @35 :List(Text);
  }

  class @36 :UInt8;       # C++ keyword
  which @37 :Bool = true; # clashes with which()

  struct Nested {
    x @0 :Float32;
    enum Mode {
      off @0;
      on @1;
    }
    mode @1 :Mode = on;
    const limit :UInt16 = 9;
  }
  nestedStruct @38 :Nested;
}

const answer :UInt32 = 42;
const greeting :Text = "hello\n";
const blob :Data = 0x"deadbeef";
const favourite :Color = blue;
const origin :Inner = (a = -1, label = "origin");
const primes :List(UInt16) = [2, 3, 5, 7];
const bigId :UInt64 = 0xcab05000fff00001;

interface Calculator @0xcab05000fff00010 {
  # A toy interface for the stubs.

  add @0 (a :Int32, b :Int32) -> (sum :Int32);
  # a + b; raises invalidArgument on overflow.

  describe @1 (shape :Inner) -> (text :Text);
  echo @2 (blob :Data, cap :Calculator, color :Color) -> (blob :Data, cap :Calculator, color :Color);
  square @3 Inner -> Inner;
  nothing @4 () -> ();
}

interface Marker @0xcab05000fff00011 {}
