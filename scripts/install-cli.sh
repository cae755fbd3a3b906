#!/usr/bin/env bash
# Installs the mesh command as a global .NET tool (~/.dotnet/tools/mesh), so `mesh ...` works from
# any directory. Packs src/Mesh.Cli with a version of its own each time its sources changed and
# updates the installed tool; when nothing changed it does nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=.build/tool
stamp="$out/installed"
tools="${DOTNET_CLI_HOME:-$HOME}/.dotnet/tools"
if [ -f "$stamp" ] && [ -x "$tools/mesh" ] && [ -z "$(find src sdk/assemblyscript/assembly Directory.Build.props Directory.Packages.props \
      -newer "$stamp" -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.json' -o -name '*.template' -o -name '*.ts' \) -print -quit)" ]; then
  exit 0
fi

echo "install-cli: packing the mesh command as a .NET tool" >&2
rm -rf "$out" && mkdir -p "$out"
version="0.1.0-local.$(date +%s)"
dotnet pack src/Mesh.Cli -c Release -o "$out" -p:Version="$version" --nologo -v quiet >&2
# update installs the tool when it is missing, and replaces an older local build when it is not.
dotnet tool update --global --add-source "$out" --version "$version" Mesh.Cli >&2
touch "$stamp"
case ":$PATH:" in
  *":$tools:"*) echo "install-cli: mesh $version installed" >&2 ;;
  *) echo "install-cli: mesh $version installed in $tools; add it to PATH: export PATH=\"\$PATH:$tools\"" >&2 ;;
esac
