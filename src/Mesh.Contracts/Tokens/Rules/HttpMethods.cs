namespace Mesh.Contracts.Tokens.Rules;

/// <summary>HTTP methods an <see cref="HttpRule"/> allows, as flags so "fewer" is a subset test.</summary>
[Flags]
public enum HttpMethods
{
    None = 0,
    Get = 1,
    Head = 2,
    Post = 4,
    Put = 8,
    Patch = 16,
    Delete = 32,
    Options = 64,
    All = Get | Head | Post | Put | Patch | Delete | Options,
}
