#!/usr/bin/env bash
# Packs ActorWs, ActorWs.Protocol, ActorWs.Cluster and ActorWs.Streams into artifacts/packages and builds and runs
# examples/PackageConsumer against those packages, restored into a fresh folder so that no cached
# copy of an earlier package of the same version can stand in for them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
feed=artifacts/packages
rm -rf "$feed" artifacts/consumer-packages
for project in src/ActorWs.Protocol src/ActorWs src/ActorWs.Cluster src/ActorWs.Streams; do
  dotnet pack "$project" -c Release -o "$feed" -p:ContinuousIntegrationBuild=true
done
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)
for package in ActorWs ActorWs.Protocol ActorWs.Cluster ActorWs.Streams; do
  nupkg="$feed/$package.$version.nupkg"
  [ -f "$nupkg" ] || { echo "package-check: $nupkg was not made"; exit 1; }
  # A package is a zip; python3 is on the machine image (unzip is not).
  python3 - "$nupkg" "$package" <<'PY' || exit 1
import sys, zipfile
nupkg, package = sys.argv[1], sys.argv[2]
names = set(zipfile.ZipFile(nupkg).namelist())
missing = [n for n in ("README.md", "LICENSE", f"lib/net10.0/{package}.dll", f"lib/net10.0/{package}.xml") if n not in names]
if missing:
    sys.exit(f"package-check: {nupkg} lacks {', '.join(missing)}")
PY
done
dotnet run --project examples/PackageConsumer -p:ActorWsVersion="$version" \
  -p:RestorePackagesPath="$PWD/artifacts/consumer-packages" --
echo "package-check: ActorWs $version packs and a consumer builds and runs against the packages"
