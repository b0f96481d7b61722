# Test schema for the lib/capnp cross-check against libcapnp: every field
# kind the wire format has. The tests walk this schema generically through
# libcapnp's schema API, so adding a field here adds it to every test.
@0x90e3773dd42a8f64;

enum Color {
  red @0;
  green @1;
  blue @2;
  violet @3;
}

interface Thing {
  ping @0 () -> ();
}

struct Inner {
  a @0 :UInt32;
  name @1 :Text;
  flag @2 :Bool;
  d @3 :Int64 = -5;
}

struct Node {
  value @0 :Int32;
  children @1 :List(Node);
  next @2 :Node;
}

struct All {
  boolField @0 :Bool;
  i8 @1 :Int8;
  i16 @2 :Int16;
  i32 @3 :Int32;
  i64 @4 :Int64;
  u8 @5 :UInt8;
  u16 @6 :UInt16;
  u32 @7 :UInt32;
  u64 @8 :UInt64;
  f32 @9 :Float32;
  f64 @10 :Float64;
  color @11 :Color;
  text @12 :Text;
  data @13 :Data;
  inner @14 :Inner;
  voidField @15 :Void;

  lVoid @16 :List(Void);
  lBool @17 :List(Bool);
  lI8 @18 :List(Int8);
  lI16 @19 :List(Int16);
  lI32 @20 :List(Int32);
  lI64 @21 :List(Int64);
  lU8 @22 :List(UInt8);
  lU16 @23 :List(UInt16);
  lU32 @24 :List(UInt32);
  lU64 @25 :List(UInt64);
  lF32 @26 :List(Float32);
  lF64 @27 :List(Float64);
  lColor @28 :List(Color);
  lText @29 :List(Text);
  lData @30 :List(Data);
  lInner @31 :List(Inner);
  lListI32 @32 :List(List(Int32));
  lListText @33 :List(List(Text));
  lCap @34 :List(Thing);

  union {
    none @35 :Void;
    num @36 :UInt64;
    str @37 :Text;
    sub @38 :Inner;
    flag @39 :Bool;
  }

  grp :group {
    x @40 :Int32;
    y @41 :Text;
    choice :union {
      p @42 :UInt16;
      q @43 :List(UInt8);
    }
  }

  dI32 @44 :Int32 = 123;
  dBool @45 :Bool = true;
  dF32 @46 :Float32 = -2.25;
  dF64 @47 :Float64 = 1.5;
  dU16 @48 :UInt16 = 0xbeef;
  dI64 @49 :Int64 = -9000000000;
  dColor @50 :Color = blue;
  dText @51 :Text = "hi";
  dData @52 :Data = 0x"01 02 03";
  dInner @53 :Inner = (a = 7, name = "dflt", flag = true);
  dList @54 :List(Int16) = [1, -2, 3];

  cap @55 :Thing;
  node @56 :Node;
}
