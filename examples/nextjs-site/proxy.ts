// proxy.ts — names the instance that answered, so Pressroom's live confirmation can tell
// replicas apart when it only knows the public URL (docs/confirmation.md, "Instances").
// Set PRESSROOM_INSTANCE_ID per replica; otherwise the host name is used, which already
// differs between containers.
import { hostname } from "node:os";
import { NextResponse } from "next/server";

const instance = process.env.PRESSROOM_INSTANCE_ID || hostname();

export function proxy() {
  const response = NextResponse.next();
  response.headers.set("x-instance-id", instance);
  return response;
}

export const config = {
  // Pages only: not the webhook handler, not Next's own assets.
  matcher: ["/((?!api/|_next/).*)"],
};
