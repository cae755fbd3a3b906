# A Mesh node. Build: docker build -t mesh-node .  (or: docker compose build)
# The node holds no key and no per-function settings: give it a NATS URL and the issuer keys it
# trusts, through the environment (Mesh__Nats__Url, Mesh__Tokens__TrustedRoots__0).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props BannedSymbols.txt .editorconfig ./
COPY src/ src/
# ReadyToRun: the node's code is compiled ahead of time, so a node just scaled up serves its
# first calls at near full speed instead of at JIT speed (docs/benchmarks.md, cold start).
ARG TARGETARCH
RUN dotnet publish src/Mesh.Node/Mesh.Node.csproj -c Release -a ${TARGETARCH:-amd64} --os linux --self-contained false \
    -p:PublishReadyToRun=true -o /app --nologo
RUN dotnet publish src/Mesh.Gateway/Mesh.Gateway.csproj -c Release -a ${TARGETARCH:-amd64} --os linux --self-contained false \
    -p:PublishReadyToRun=true -o /gateway --nologo
# The dashboard embeds its chart library from npm (src/Mesh.Dashboard/client/package-lock.json).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null \
    && dotnet publish src/Mesh.Dashboard/Mesh.Dashboard.csproj -c Release -a ${TARGETARCH:-amd64} --os linux --self-contained false \
    -o /dashboard --nologo

# The dashboard (docker build --target dashboard): read-only, no key; reads everything from NATS.
# Publish its port only where operators reach it: it shows function names, refusals and token ids.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS dashboard
WORKDIR /app
COPY --from=build /dashboard .
ENV Mesh__Nats__Url=nats://nats:4222 \
    Mesh__Dashboard__Listen=0.0.0.0:8090
EXPOSE 8090
USER app
ENTRYPOINT ["dotnet", "Mesh.Dashboard.dll"]

# The HTTP gateway (docker build --target gateway): no key, no state; reads routes from NATS.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS gateway
WORKDIR /app
COPY --from=build /gateway .
ENV Mesh__Nats__Url=nats://nats:4222 \
    Mesh__Gateway__Listen=0.0.0.0:8080
EXPOSE 8080
USER app
ENTRYPOINT ["dotnet", "Mesh.Gateway.dll"]

# The node (the default target).
FROM mcr.microsoft.com/dotnet/runtime:10.0 AS node
WORKDIR /app
COPY --from=build /app .
ENV Mesh__Nats__Url=nats://nats:4222 \
    Mesh__Health__ReadyFile=/tmp/mesh-node.ready
# The file exists exactly while the node is subscribed and serving; it goes when draining starts.
HEALTHCHECK --interval=5s --timeout=2s --start-period=20s CMD ["test", "-f", "/tmp/mesh-node.ready"]
USER app
ENTRYPOINT ["dotnet", "Mesh.Node.dll"]
