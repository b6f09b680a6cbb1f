import type { ReactNode } from "react";

export const metadata = {
  title: { default: "Pressroom example site", template: "%s · Pressroom example site" },
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ font: "16px/1.6 system-ui, sans-serif", maxWidth: "46rem", margin: "0 auto", padding: "1rem 1.5rem" }}>
        <header style={{ borderBottom: "1px solid #ddd", marginBottom: "1rem" }}>
          <a href="/">Pressroom example site</a>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
