# capOS: the ABI's source of truth.
#
# Every capability a process can hold is typed by an interface in this file,
# and every method call carries a Cap'n Proto params message and answers with
# a results message (or a CapException) in the caller's result buffer.
# The boot manifest (SystemManifest) is defined here as well.
#
# Compatibility rules (see docs/schema.md):
#   - Ids are fixed and explicit. Never change an id, an ordinal, a field's
#     type, or a method's params/results types.
#   - Compatible additions only: new methods with the next ordinal, new
#     fields with the next ordinal (their default must mean "old behaviour"),
#     new enumerants at the end, new union members, new interfaces and
#     structs with fresh ids.
#   - A removed method keeps its ordinal reserved forever (rename it
#     obsoleteFoo and make it raise `unimplemented`).
#
# Id plan: file 0xcab05000_00000000; interfaces 0xcab05000_0001xxxx;
# structs 0xcab05000_0002xxxx; enums 0xcab05000_0003xxxx.
#
# Errors: a method "raises X" means its call completes with a serialized
# CapException of type X in the result buffer (the transport signals it in
# the CQE). Transport errors (bad capability id, bad buffers, malformed
# params message, wrong interface) are not listed per method.
# Every method raises `invalidArgument` for params it cannot decode.

@0xcab0500000000000;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("capos::host");

using Gen = import "codegen.capnp";
$Gen.namespace("capos::schema");

# ---------------------------------------------------------------------------
# Constants

const pageSize :UInt64 = 4096;
# Every size, address and offset in a memory method is a multiple of this.

const protRead :UInt32 = 1;
const protWrite :UInt32 = 2;
const protExec :UInt32 = 4;
# `prot` arguments are a bit set of these. Other bits raise invalidArgument.
# Writable and executable together raise invalidArgument (W^X), and so
# does a prot without protRead (x86 pages cannot be write- or execute-only;
# a range with no access is a reserved one: VirtualMemory.reserve/decommit).

const manifestSchemaVersion :UInt32 = 1;
# SystemManifest.schemaVersion must equal this. Bumped only by an
# incompatible change, which the rules above forbid in practice.

const bootPackageMaxChunk :UInt32 = 65536;
# The most bytes one BootPackage.readManifest call returns.

const capNameMaxBytes :UInt32 = 32;
# Longest capability name (CapGrant.name) in bytes: the CapSet page stores
# names inline. Names are non-empty printable ASCII without spaces.

# Interface ids as values, for manifests (CapGrant.interfaceId). Each equals
# the id of the interface of the same name; tests check that they agree.
const consoleInterfaceId :UInt64 = 0xcab0500000010001;
const timerInterfaceId :UInt64 = 0xcab0500000010002;
const virtualMemoryInterfaceId :UInt64 = 0xcab0500000010003;
const frameAllocatorInterfaceId :UInt64 = 0xcab0500000010004;
const memoryObjectInterfaceId :UInt64 = 0xcab0500000010005;
const endpointInterfaceId :UInt64 = 0xcab0500000010006;
const processSpawnerInterfaceId :UInt64 = 0xcab0500000010007;
const processHandleInterfaceId :UInt64 = 0xcab0500000010008;
const bootPackageInterfaceId :UInt64 = 0xcab0500000010009;
const sessionContextInterfaceId :UInt64 = 0xcab050000001000a;
const sessionBrokerInterfaceId :UInt64 = 0xcab050000001000b;
const terminalSessionInterfaceId :UInt64 = 0xcab050000001000c;
const entropySourceInterfaceId :UInt64 = 0xcab050000001000d;
const systemInfoInterfaceId :UInt64 = 0xcab050000001000e;
const stdIoInterfaceId :UInt64 = 0xcab050000001000f;
const authorityBrokerInterfaceId :UInt64 = 0xcab0500000010010;
const auditLogInterfaceId :UInt64 = 0xcab0500000010011;

const sessionProfileMaxBytes :UInt32 = 32;
# Longest SessionContext profile label in bytes (printable ASCII, non-empty).

# ---------------------------------------------------------------------------
# Exceptions

enum ExceptionType @0xcab0500000030001 {
  failed @0;           # the capability could not do what was asked
  overloaded @1;       # out of a resource (frames, slots, ledger limit); may succeed later
  disconnected @2;     # the object behind the capability is gone (server exited, revoked)
  unimplemented @3;    # unknown method ordinal, or a method this object does not offer
  invalidArgument @4;  # params decoded but violate the method's contract (capOS addition)
}

struct CapException @0xcab0500000020001 {
  # Written into the caller's result buffer instead of the results message
  # when a call raises. The message is diagnostic only: it never contains
  # kernel addresses or secrets, and callers must not parse it.
  type @0 :ExceptionType;
  message @1 :Text;
}

# ---------------------------------------------------------------------------
# Kernel capabilities

interface Console @0xcab0500000010001 {
  # The serial console. Output only.

  write @0 (data :Data) -> ();
  # Writes the bytes as they are. Raises overloaded if `data` is longer than
  # the kernel's console buffer (at least 4096 bytes are always accepted).

  writeLine @1 (text :Text) -> ();
  # Writes `text` followed by a newline. Same limit as `write`.
}

interface Timer @0xcab0500000010002 {
  # The monotonic clock.

  now @0 () -> (ns :UInt64);
  # Nanoseconds since boot. Never decreases. Resolution is the kernel tick
  # (documented in docs/abi.md), not a nanosecond.

  sleep @1 (ns :UInt64) -> ();
  # Completes no earlier than `ns` nanoseconds after the call was submitted.
  # ns = 0 completes at once. Other calls on the ring keep progressing.
}

interface VirtualMemory @0xcab0500000010003 {
  # The caller's own user address space. Frames it commits are charged to
  # the caller's ledger (ResourceProfile.frames and .mappedPages).
  # All addresses and sizes are multiples of pageSize, sizes are non-zero,
  # and ranges lie inside the mapping area (docs/abi.md, "User address
  # layout": the image, stack, TLS, ring and CapSet lie outside it);
  # otherwise invalidArgument.
  # `hint` = 0 lets the kernel choose; a non-zero hint is used if free, or
  # the call raises invalidArgument (no silent relocation).

  map @0 (hint :UInt64, size :UInt64, prot :UInt32) -> (addr :UInt64);
  # Reserves and commits zero-filled anonymous memory in one step.
  # Raises overloaded when frames, ledger or address space run out
  # (nothing is left mapped).

  unmap @1 (addr :UInt64, size :UInt64) -> ();
  # Releases a range made by map or reserve (committed or not), freeing its
  # frames. The range must lie wholly inside such ranges: invalidArgument
  # otherwise (including MemoryObject mappings: use MemoryObject.unmap).

  protect @2 (addr :UInt64, size :UInt64, prot :UInt32) -> ();
  # Changes the protection of committed pages. invalidArgument if any page
  # in the range is not committed.

  reserve @3 (hint :UInt64, size :UInt64) -> (addr :UInt64);
  # Reserves an address range with no access and no frames (Go-style heap
  # arenas). Charged to mappedPages only when committed.

  commit @4 (addr :UInt64, size :UInt64, prot :UInt32) -> ();
  # Backs part of a reserved range with zero-filled frames. Committing an
  # already committed page is invalidArgument. Raises overloaded when frames
  # or ledger run out (nothing is committed).

  decommit @5 (addr :UInt64, size :UInt64) -> ();
  # Frees the frames of committed pages; the range stays reserved with no
  # access. Decommitting reserved-but-uncommitted pages is allowed (no-op).

  usage @6 () -> (capSlots :UInt64, capSlotsLimit :UInt64,
                  frames :UInt64, framesLimit :UInt64,
                  mappedPages :UInt64, mappedPagesLimit :UInt64);
  # The ledger of the process that owns this address space: what it holds
  # now and its limits (docs/memory.md says what each counter includes).
}

interface FrameAllocator @0xcab0500000010004 {
  # Physical memory, handed out only as MemoryObject capabilities: a process
  # never learns a physical address.

  allocate @0 (pageCount :UInt32) -> (memory :MemoryObject);
  # A new zero-filled MemoryObject of `pageCount` pages, charged to the
  # caller's frames limit for as long as any holder keeps it.
  # Raises invalidArgument for pageCount = 0, overloaded when frames or the
  # ledger run out.
}

interface MemoryObject @0xcab0500000010005 {
  # A set of physical pages. Several processes may map the same object
  # (shared memory). The pages are freed when the last capability to the
  # object is released and the last mapping is gone.

  info @0 () -> (pageCount :UInt64, size :UInt64);
  # size = pageCount * pageSize.

  map @1 (hint :UInt64, offset :UInt64, size :UInt64, prot :UInt32) -> (addr :UInt64);
  # Maps pages [offset, offset + size) of the object into the caller's
  # address space. hint and alignment rules as VirtualMemory.map.
  # invalidArgument if the range exceeds the object.

  unmap @2 (addr :UInt64, size :UInt64) -> ();
  # Removes a mapping of this object made by `map`; the range must lie
  # wholly inside one such mapping.
}

interface Endpoint @0xcab0500000010006 {
  # An IPC rendezvous (docs/ipc.md). The raw Endpoint capability is the
  # server side: RECV and RETURN on the ring, and CALL for the owner
  # operations below. Clients hold a client facet typed by the protocol
  # interface served over it: a CALL on the facet carries that interface's
  # method ordinals to the server; RECV and RETURN on it are WrongInterface.

  mintClient @0 (interfaceId :UInt64) -> (client :Capability);
  # A new client facet for protocol `interfaceId`, returned as a
  # transferred capability (TransferResult 0). It carries the endpoint's
  # current epoch. invalidArgument for 0 or the Endpoint interface itself.

  revoke @1 () -> ();
  # Revokes every client facet minted so far, and every copy of one: their
  # CALLs fail with `disconnected`, calls they queued or that are in flight
  # complete with `disconnected` (a later RETURN of those is dropped).
  # Facets minted afterwards work. The endpoint and its server stay.
}

interface ProcessSpawner @0xcab0500000010007 {
  # Creates processes from binaries in the boot package. Holding it is the
  # authority to mint kernel capabilities (CapGrant.source.kernel) for
  # children.

  spawn @0 (name :Text, binaryName :Text, grants :List(CapGrant),
            profile :ResourceProfile, session :SessionContext)
      -> (handle :ProcessHandle, exports :List(ExportedCap));
  # Starts `binaryName` (a Binary.name in the boot manifest) as a new
  # process called `name`, whose CapSet holds `grants` in list order.
  # Grant sources allowed here: kernel, capability (a capability the caller
  # passes, copied), endpoint (a fresh Endpoint: the child gets the server
  # side; the caller receives a client facet in `exports`, in grant order).
  # `service` sources are rejected: the caller resolves them first.
  # `session` unset: the child runs in the caller's session; set: it must be
  # a SessionContext returned by SessionBroker.create (invalidArgument
  # otherwise), and the child runs in that session.
  # Raises invalidArgument for an unknown binary, a bad or duplicate grant
  # name, a grant whose capability does not implement interfaceId, or an
  # ELF the loader rejects; overloaded when the caller's ledger or the
  # kernel runs out. On any exception no process exists and no capability
  # moved.
}

interface ProcessHandle @0xcab0500000010008 {
  # The parent's view of a child process. Releasing it does not stop the
  # child.

  wait @0 () -> (exitCode :Int64);
  # Completes when the process has exited, with the code it passed to
  # exit() (or a negative kernel code if it was killed by a fault).
  # Completes at once if it already exited.
}

interface BootPackage @0xcab0500000010009 {
  # Read-only access to the boot manifest (the Cap'n Proto SystemManifest
  # message from the boot package, binaries included: docs/boot-package.md).

  manifestSize @0 () -> (size :UInt64);
  # The manifest message's length in bytes (segment table included).

  readManifest @1 (offset :UInt64, maxBytes :UInt32) -> (data :Data);
  # Bytes [offset, offset + n) of the manifest message, where
  # n = min(maxBytes, bootPackageMaxChunk, size - offset). Empty at the end.
  # Raises invalidArgument if offset > size.
}

# ---------------------------------------------------------------------------
# Sessions (docs/sessions.md)

interface SessionContext @0xcab050000001000a {
  # The session a process runs in. Every process has exactly one, fixed
  # when it is created: init and the services the kernel starts get the
  # boot session (profile "system"); a spawned child gets its parent's
  # unless the spawn names another (ProcessSpawner.spawn `session`).
  # Endpoint calls carry no caller identity.

  info @0 () -> (id :UInt64, profile :Text, createdAt :UInt64);
  # id: opaque, never reused during a boot, never 0. createdAt: nanoseconds
  # since boot (the Timer.now clock) when the session was created.
}

interface SessionBroker @0xcab050000001000b {
  # The authority to create sessions. A SessionContext it returns can be
  # passed to ProcessSpawner.spawn to place a child in that session; the
  # one a process gets from the `session` kernel grant (a view of its own
  # session) cannot.

  create @0 (profile :Text) -> (session :SessionContext);
  # A new session labelled `profile` (1..sessionProfileMaxBytes printable
  # ASCII bytes, else invalidArgument), returned as TransferResult 0.

  attach @1 (process :ProcessHandle, session :SessionContext) -> ();
  # Sessions are immutable: this always raises `failed` ("process already
  # has a session") for a process that exists, and `disconnected` for one
  # that has exited. It is the one place a second attachment is refused.
}

# ---------------------------------------------------------------------------
# Terminal, system information, entropy (docs/shell.md)

enum LineStatus @0xcab0500000030004 {
  line @0;        # Enter: `line` holds the edited text (no newline)
  cancelled @1;   # Ctrl-C: the line was discarded
  endOfInput @2;  # Ctrl-D at an empty line
  tooLong @3;     # input past maxBytes: the line so far was discarded
}

interface TerminalSession @0xcab050000001000c {
  # A terminal on its own serial port (COM2). Input is read only through
  # this capability; output may also appear on the kernel's debug log.

  write @0 (data :Data) -> ();
  # Writes bytes as they are (the caller sends "\r\n" where it wants one).

  readLine @1 (maxBytes :UInt32, hidden :Bool, history :List(Data))
      -> (line :Data, status :LineStatus);
  # Reads one edited line of at most maxBytes (1..4096, else
  # invalidArgument): printable bytes are echoed (not at all when `hidden`),
  # Backspace/DEL erases one, Ctrl-U erases the line, Ctrl-C cancels, Ctrl-D
  # at an empty line ends input, Up/Down arrows walk `history` (oldest
  # first). Completes when the line ends.

  setRaw @2 (raw :Bool) -> ();
  # Raw mode: readRaw returns bytes as typed, no echo, no editing.

  readRaw @3 (maxBytes :UInt32) -> (data :Data);
  # At least one byte (blocks until one arrives), at most maxBytes.
  # Raises failed unless raw mode is on.
}

interface StdIO @0xcab050000001000f {
  # stdin/stdout for a program the shell runs, served by the shell over an
  # endpoint (the program's CapSet entry is a client facet).

  write @0 (data :Data) -> ();
  readLine @1 (maxBytes :UInt32) -> (line :Data, status :LineStatus);
}

interface SystemInfo @0xcab050000001000e {
  motd @0 () -> (text :Text);
  # KernelParams.motd from the manifest ("" when unset).

  version @1 () -> (version :Text, commit :Text);
}

interface EntropySource @0xcab050000001000d {
  getBytes @0 (count :UInt32) -> (data :Data, strong :Bool);
  # `count` (1..256, else invalidArgument) random bytes. strong = true when
  # they come from RDSEED or RDRAND; false when the CPU has neither and the
  # kernel fell back to a weak generator (it warns once on its log).
}

# ---------------------------------------------------------------------------
# Login and audit (userspace services, docs/shell.md)

struct BundleCap @0xcab0500000020011 {
  name @0 :Text;           # the name the holder should use (e.g. "launcher")
  interfaceId @1 :UInt64;
  cap @2 :Capability;
}

interface AuthorityBroker @0xcab0500000010010 {
  # Local credentials and the capability bundles of the session profiles
  # (anonymous, guest, operator). Passwords are kept only as salted
  # Argon2id verifiers.

  setup @0 (user :Text, password :Data) -> ();
  # Creates the volatile operator credential. Raises failed if one exists,
  # invalidArgument for an empty or over-long user name or password.

  login @1 (user :Text, password :Data) -> (profile :Text, bundle :List(BundleCap));
  # The operator bundle for the right user and password. Any mismatch
  # raises failed with one generic message after a delay, and grants nothing.

  guest @2 () -> (profile :Text, bundle :List(BundleCap));
  anonymous @3 () -> (profile :Text, bundle :List(BundleCap));
}

interface AuditLog @0xcab0500000010011 {
  record @0 (event :Text, user :Text, ok :Bool) -> ();
  # One line on the audit log. Callers never pass secrets; the log does not
  # accept free-form data beyond these fields.
}

# ---------------------------------------------------------------------------
# Capability grants (boot manifest and ProcessSpawner.spawn)

enum KernelCap @0xcab0500000030002 {
  # Kernel capabilities a grant can name. Each kind implements exactly one
  # interface (the comment), which CapGrant.interfaceId must equal.
  console @0;         # Console
  timer @1;           # Timer
  virtualMemory @2;   # VirtualMemory, for the receiving process's own address space
  frameAllocator @3;  # FrameAllocator
  processSpawner @4;  # ProcessSpawner
  bootPackage @5;     # BootPackage
  session @6;         # SessionContext: a view of the receiving process's own session
  sessionBroker @7;   # SessionBroker
  terminal @8;        # TerminalSession on COM2
  systemInfo @9;      # SystemInfo
  entropy @10;        # EntropySource
}

struct CapGrant @0xcab0500000020002 {
  # One entry of a process's CapSet: what the process sees and where the
  # capability comes from.

  name @0 :Text;
  # The name in the receiving process's CapSet (see capNameMaxBytes),
  # unique within one process.

  interfaceId @1 :UInt64;
  # The interface the receiver expects (the *InterfaceId constants). The
  # grant is rejected unless the source implements it. For an `endpoint`
  # source it names the protocol served over the endpoint; the receiver's
  # CapSet entry is then typed Endpoint (the server side).

  source :union {
    none @2 :Void;
    # Unset. Always rejected.

    kernel @3 :KernelCap;
    # A kernel capability minted for the receiver.

    service @4 :ServiceCapRef;
    # Manifest only: an endpoint another service exports. init resolves it
    # to a `capability` (the client facet it got when it spawned that
    # service) before calling spawn.

    endpoint @5 :Void;
    # A fresh Endpoint owned by the receiver, exported under `name`:
    # other services import it with `service = (service, exportName = name)`.

    capability @6 :Capability;
    # ProcessSpawner.spawn only: a capability the caller holds (carried in
    # the call's transfer descriptors), copied to the child.
  }
}

struct ServiceCapRef @0xcab0500000020003 {
  service @0 :Text;     # ServiceEntry.name of the exporting service
  exportName @1 :Text;  # CapGrant.name of one of its `endpoint` grants
}

struct ExportedCap @0xcab0500000020004 {
  # A client facet returned by ProcessSpawner.spawn for an `endpoint` grant.
  name @0 :Text;         # the grant's name
  interfaceId @1 :UInt64; # the grant's interfaceId (the protocol)
  cap @2 :Capability;    # CALL-only client facet
}

struct ResourceProfile @0xcab0500000020005 {
  # Limits charged to a process's ledger. 0 means the kernel default
  # (documented in docs/abi.md); limits never exceed the spawner's own.
  capSlots @0 :UInt32;     # capability table slots
  frames @1 :UInt64;       # physical frames held (own memory and MemoryObjects)
  mappedPages @2 :UInt64;  # committed user pages
}

# ---------------------------------------------------------------------------
# Boot manifest (docs/boot-package.md)

struct SystemManifest @0xcab0500000020006 {
  # The boot-time authority graph. Written as a Cap'n Proto text constant
  # in system/*.capnp, compiled to binary, then packed with the ELF images
  # by tools/mkmanifest, which also validates it.

  schemaVersion @0 :UInt32;
  # Must equal manifestSchemaVersion.

  binaries @1 :List(Binary);
  # Every program the system can run. Names are unique.

  services @2 :List(ServiceEntry);
  # Started by init in dependency order (a service that imports another's
  # export starts after it). Names are unique; the import graph is acyclic.

  initConfig @3 :InitConfig;
  # The only process the kernel starts.

  kernelParams @4 :KernelParams;
}

struct Binary @0xcab0500000020007 {
  name @0 :Text;
  elf @1 :Data;
  # The ELF64 image. Empty in system/*.capnp; filled by mkmanifest.
}

struct ServiceEntry @0xcab0500000020008 {
  name @0 :Text;
  # Unique among services; also the process name.

  binary @1 :Text;
  # A Binary.name.

  grants @2 :List(CapGrant);
  # The service's CapSet, in order. `service` sources are its dependencies;
  # `endpoint` sources are its exports.

  profile @3 :ResourceProfile;
}

struct InitConfig @0xcab0500000020009 {
  binary @0 :Text;
  # A Binary.name, run as process "init".

  grants @1 :List(CapGrant);
  # init's CapSet. Only `kernel` sources.

  profile @2 :ResourceProfile;
}

enum LogLevel @0xcab0500000030003 {
  info @0;
  quiet @1;
  debug @2;
}

struct KernelParams @0xcab0500000020010 {
  # Kernel-wide settings. Every field's default is the kernel's behaviour
  # without a manifest value.

  motd @0 :Text;
  # Printed on the console once init starts. Empty: nothing.

  logLevel @1 :LogLevel = info;
  # Verbosity of the kernel's serial log.
}
