namespace Mesh.Node.Sandbox.Native;

/// <summary>Wasmtime's trap codes (<c>wasmtime_trap_code_t</c>), the ones the sandbox tells apart.</summary>
internal enum WasmTrapCode : byte
{
    StackOverflow = 0,
    MemoryOutOfBounds = 1,
    HeapMisaligned = 2,
    TableOutOfBounds = 3,
    IndirectCallToNull = 4,
    BadSignature = 5,
    IntegerOverflow = 6,
    IntegerDivisionByZero = 7,
    BadConversionToInteger = 8,
    Unreachable = 9,
    Interrupt = 10,
    OutOfFuel = 11,
}
