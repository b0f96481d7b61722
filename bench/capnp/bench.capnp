# Benchmark schema: one five-field struct with text, and a list of 1,000
# small structs.
@0xdc73f7ad3f586f37;

struct Five {
  id @0 :UInt64;
  count @1 :UInt32;
  delta @2 :Int16;
  enabled @3 :Bool;
  name @4 :Text;
}

struct Item {
  id @0 :UInt64;
  value @1 :Int32;
  flag @2 :Bool;
  score @3 :Float64;
}

struct Batch {
  items @0 :List(Item);
}
