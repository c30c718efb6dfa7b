/**
 * The matrix view's tile worker (a module Worker, bundled by Vite): float16 bytes in (transferred),
 * an ImageBitmap (or RGBA bytes) out (transferred), so a tile's 65,536 cells never cost the main
 * thread a frame. All the work is `decodeTileRequest` (lib/tileDecode.ts, tested directly).
 */
import { decodeTileRequest, replyTransfer, type TileDecodeReply, type TileDecodeRequest } from './tileDecode';

interface WorkerScope {
  onmessage: ((event: MessageEvent<TileDecodeRequest>) => void) | null;
  postMessage(message: TileDecodeReply, transfer: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;
scope.onmessage = (event) => {
  void decodeTileRequest(event.data).then((reply) => scope.postMessage(reply, replyTransfer(reply)));
};
