# Annotations read by tools/capnpc-capos (the capOS code generator).
#
# Kept apart from capos.capnp so that fixtures and future schema files can
# use them without importing the whole ABI.

@0xcab0500000000f00;

annotation namespace @0xcab0500000000f01 (file) :Text;
# The C++ namespace capnpc-capos emits the file's declarations into, e.g.
# "capos::schema". Without it the generator uses "capos::schema".
# (Debian's capnpc-c++ reads $Cxx.namespace instead; the two differ on
# purpose so that host code can include both generated headers at once.)
