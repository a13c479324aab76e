#!/usr/bin/env bash
# Regenerates Sources/LipIO/ONNX/onnx.pb.swift from Sources/LipIO/ONNX/onnx.proto.
#
# Needs protoc (Debian: apt-get install -y protobuf-compiler) and protoc-gen-swift of the
# same swift-protobuf release the package depends on (1.39.0). Builds the plugin from a local
# clone when PROTOC_GEN_SWIFT is not set (about 5-10 minutes on 2 cores):
#   SWIFT_PROTOBUF_GIT=<url or path of apple/swift-protobuf> scripts/tools/gen_onnx_proto.sh
# To refresh onnx.proto itself, copy onnx/onnx.proto from the `onnx` Python package
# (python3 -c "import onnx, os; print(os.path.dirname(onnx.__file__))") and rerun.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$root/Sources/LipIO/ONNX"
command -v protoc >/dev/null || { echo "gen_onnx_proto: protoc missing: apt-get install -y protobuf-compiler" >&2; exit 1; }
plugin="${PROTOC_GEN_SWIFT:-}"
if [ -z "$plugin" ]; then
  src="${SWIFT_PROTOBUF_GIT:-https://github.com/apple/swift-protobuf}"
  work="${TMPDIR:-/tmp}/swift-protobuf-1.39.0"
  [ -d "$work" ] || git clone -q --branch 1.39.0 "$src" "$work"
  (cd "$work" && swift build -c release --product protoc-gen-swift >&2)
  plugin="$work/.build/release/protoc-gen-swift"
fi
# Internal visibility: the Onnx_* types stay inside LipIO (ONNXImport.swift is their only user).
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Internal \
  --proto_path="$dir" --swift_out="$dir" "$dir/onnx.proto"
echo "wrote $dir/onnx.pb.swift" >&2
