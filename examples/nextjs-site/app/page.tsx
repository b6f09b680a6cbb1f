import Link from "next/link";
import { listDocuments } from "./content";

export default async function Home() {
  const documents = await listDocuments();
  return (
    <ul>
      {documents.map((d) => (
        <li key={d.slug}>
          <Link href={`/posts/${d.slug}`}>{d.title}</Link> <small>{d.summary}</small>
        </li>
      ))}
    </ul>
  );
}
